// The sample CRM's logic, using only the Parley host API (parley-desktop.js): a chat that is
// offered pops the customer's record; an accepted chat opens a case linked to it; Mark Done in
// the desktop writes the disposition and note onto the case; a button transfers the chat to
// Tier 2. Its records live in this page only.
const parleyUrl = document.querySelector('meta[name=parley]').content;
const { ParleyDesktop } = await import(`${parleyUrl}/embed/parley-desktop.js`);

const customers = [
  { id: 'c-1', name: 'Mark Avram', email: 'mark@example.com', plan: 'Gold', city: 'Cluj' },
  { id: 'c-2', name: 'Ana Pop', email: 'ana@example.com', plan: 'Standard', city: 'Iasi' },
  { id: 'c-3', name: 'Lena Berg', email: 'lena@example.com', plan: 'Standard', city: 'Bergen' },
];
/** Cases by chat id: { customer, interaction, status, disposition, note }. */
const cases = new Map();
let shown = null;

const $ = (selector) => document.querySelector(selector);
const text = (tag, value, attrs = {}) => {
  const el = document.createElement(tag);
  el.textContent = value;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};
const byEmail = (email) => customers.find((c) => email && c.email.toLowerCase() === email.toLowerCase());

function listCustomers() {
  const list = $('#customers');
  list.replaceChildren(...customers.map((c) => {
    const b = text('button', c.name, { 'aria-current': String(shown === c.id) });
    b.onclick = () => showRecord(c);
    return b;
  }));
}

function showRecord(customer, chat) {
  shown = customer ? customer.id : null;
  listCustomers();
  const record = $('#record');
  if (!customer) {
    record.replaceChildren(text('h2', chat ? `No record for ${chat.contact}` : 'No customer'),
      text('p', chat?.email ? `E-mail given: ${chat.email}` : 'No e-mail given.'));
    return;
  }
  const data = document.createElement('dl');
  for (const [k, v] of [['E-mail', customer.email], ['Plan', customer.plan], ['City', customer.city]]) {
    data.append(text('dt', k), text('dd', v));
  }
  record.replaceChildren(text('h2', customer.name, { 'data-testid': 'crm-customer' }), data,
    ...[...cases.values()].filter((c) => c.customer === customer.id).map(caseView));
}

function caseView(c) {
  const box = document.createElement('div');
  box.className = 'case';
  box.setAttribute('data-testid', 'crm-case');
  box.append(text('h3', `Case for chat ${c.interaction}`), text('p', `Status: ${c.status}`, { 'data-testid': 'crm-case-status' }));
  if (c.disposition) box.append(text('p', `Disposition: ${c.disposition}`, { 'data-testid': 'crm-case-disposition' }));
  if (c.note) box.append(text('p', `Note: ${c.note}`, { 'data-testid': 'crm-case-note' }));
  if (c.status === 'open') {
    const transfer = text('button', 'Transfer to Tier 2', { 'data-testid': 'crm-transfer' });
    transfer.onclick = () => parley.request('collaboration.transfer', { interaction: c.interaction, target: { group: 'tier2' } })
      .catch((e) => alert(`Parley refused: ${e.message}`));
    const greet = text('button', 'Insert greeting', { 'data-testid': 'crm-greet' });
    greet.onclick = () => parley.request('chat.insertText', { interaction: c.interaction, text: `Hello ${c.name}, I have your file open.` });
    box.append(transfer, greet);
  }
  return box;
}

const parley = await ParleyDesktop.connect($('#parley'));
window.parley = parley;

async function showAgent() {
  const state = await parley.request('agent.getState');
  $('[data-testid=crm-agent]').textContent = state.signedIn
    ? `${state.name} — ${state.status === 'ready' ? 'Ready' : 'Not ready'}`
    : 'signed out';
  $('[data-testid=crm-ready]').disabled = !state.signedIn;
  $('[data-testid=crm-not-ready]').disabled = !state.signedIn;
}
$('[data-testid=crm-ready]').onclick = () => parley.request('agent.setStatus', { status: 'ready' });
$('[data-testid=crm-not-ready]').onclick = () => parley.request('agent.setStatus', { status: { not_ready: { reason: null } } });
parley.on('status', showAgent);
parley.on('signedIn', showAgent);
parley.on('signedOut', showAgent);
await showAgent();

// Screen-pop: the customer's record opens as soon as the chat is offered.
parley.on('offered', ({ interaction }) => {
  const pop = $('#pop');
  pop.hidden = false;
  pop.textContent = `Incoming chat from ${interaction.contact}${interaction.verified ? '' : ' (e-mail not verified)'}`;
  showRecord(byEmail(interaction.email), interaction);
});
parley.on('accepted', ({ interaction }) => {
  $('#pop').hidden = true;
  const customer = byEmail(interaction.email);
  if (customer) {
    cases.set(interaction.id, { customer: customer.id, name: customer.name, interaction: interaction.id, status: 'open' });
  }
  showRecord(customer, interaction);
});
parley.on('done', ({ interaction, disposition, note }) => {
  const c = cases.get(interaction);
  if (!c) return;
  Object.assign(c, { status: 'closed', disposition, note });
  showRecord(customers.find((x) => x.id === c.customer));
});
parley.on('closed', ({ interaction }) => {
  const c = cases.get(interaction);
  if (c && c.status === 'open') {
    c.status = 'handed over';
    showRecord(customers.find((x) => x.id === c.customer));
  }
});
listCustomers();
