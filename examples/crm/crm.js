// The sample CRM's logic, using only the Parley host API (parley-desktop.js):
// - a chat offered pops the customer's record (`screenPop`);
// - the desktop's contact search is answered from the CRM's records, and shows a link to them;
// - the agent links a case to the chat; Mark Done is refused until one is (an interceptor), and
//   then writes the disposition and note onto the case;
// - a button transfers the chat to Tier 2, another puts a greeting into the composer.
// Its records live in this page only; its cases in this tab's sessionStorage, so a reload of
// the page keeps them (the host API tells the reloaded page only what it missed).
const parleyUrl = document.querySelector('meta[name=parley]').content;
const { ParleyDesktop } = await import(`${parleyUrl}/embed/parley-desktop.js`);

const customers = [
  { id: 'c-1', name: 'Mark Avram', email: 'mark@example.com', plan: 'Gold', city: 'Cluj' },
  { id: 'c-2', name: 'Ana Pop', email: 'ana@example.com', plan: 'Standard', city: 'Iasi' },
  { id: 'c-3', name: 'Lena Berg', email: 'lena@example.com', plan: 'Standard', city: 'Bergen' },
];
/** Cases by chat id: { id, customer, interaction, status, disposition, note }. */
const cases = new Map(JSON.parse(sessionStorage.getItem('crm.cases') || '[]'));
const saveCases = () => sessionStorage.setItem('crm.cases', JSON.stringify([...cases]));
/** The open chats the CRM knows of, by id: { interaction, customer }. */
const chats = new Map(JSON.parse(sessionStorage.getItem('crm.chats') || '[]'));
const saveChats = () => sessionStorage.setItem('crm.chats', JSON.stringify([...chats]));
/** Every event heard, in order (the e2e suite checks that none is missed or doubled). */
window.heard = JSON.parse(sessionStorage.getItem('crm.heard') || '[]');
let shown = null;

const $ = (selector) => document.querySelector(selector);
const text = (tag, value, attrs = {}) => {
  const el = document.createElement(tag);
  el.textContent = value;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};
const byEmail = (email) => customers.find((c) => email && c.email.toLowerCase() === email.toLowerCase());
const byId = (id) => customers.find((c) => c.id === id);
const recordUrl = (customer) => `${location.origin}/#customer/${customer.id}`;

function listCustomers() {
  $('#customers').replaceChildren(...customers.map((c) => {
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
  const open = [...chats.values()].filter((c) => c.customer === customer.id && !cases.has(c.interaction));
  const links = open.map(({ interaction }) => {
    const link = text('button', `Link a case to chat ${interaction}`, { 'data-testid': 'crm-link-case' });
    link.onclick = () => linkCase(interaction, customer);
    return link;
  });
  record.replaceChildren(text('h2', customer.name, { 'data-testid': 'crm-customer' }), data, ...links,
    ...[...cases.values()].filter((c) => c.customer === customer.id).map(caseView));
}

async function linkCase(interaction, customer) {
  const id = `C-${1000 + cases.size + 1}`;
  cases.set(interaction, { id, customer: customer.id, name: customer.name, interaction, status: 'open' });
  saveCases();
  // The chat carries the case's number: the agent and the next agent see it in its case data.
  await parley.request('interactions.setCaseData', { interaction, key: 'case', value: id }).catch(() => {});
  showRecord(customer);
}

function caseView(c) {
  const box = document.createElement('div');
  box.className = 'case';
  box.setAttribute('data-testid', 'crm-case');
  box.append(text('h3', `Case ${c.id} for chat ${c.interaction}`), text('p', `Status: ${c.status}`, { 'data-testid': 'crm-case-status' }));
  if (c.disposition) box.append(text('p', `Disposition: ${c.disposition}`, { 'data-testid': 'crm-case-disposition' }));
  if (c.note) box.append(text('p', `Note: ${c.note}`, { 'data-testid': 'crm-case-note' }));
  if (c.status === 'open') {
    const transfer = text('button', 'Transfer to Tier 2', { 'data-testid': 'crm-transfer' });
    transfer.onclick = () => parley.request('collaboration.transfer', { interaction: c.interaction, target: { group: 'tier2' } })
      .catch((e) => alert(`Parley refused: ${e.message}`));
    const consult = text('button', 'Consult Tier 2', { 'data-testid': 'crm-consult' });
    consult.onclick = () => parley.request('collaboration.consult', { interaction: c.interaction, target: { group: 'tier2' } })
      .catch((e) => alert(`Parley refused: ${e.message}`));
    const greet = text('button', 'Insert greeting', { 'data-testid': 'crm-greet' });
    greet.onclick = () => parley.request('chat.insertText', { interaction: c.interaction, text: `Hello ${c.name}, I have your file open.` });
    box.append(transfer, consult, greet);
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

for (const name of ['signedIn', 'signedOut', 'status', 'offered', 'screenPop', 'rejected', 'offerGone', 'accepted',
  'message', 'ended', 'done', 'closed', 'focusChanged', 'connectionLost', 'connectionBack']) {
  parley.on(name, (data, position) => {
    window.heard.push({ name, position, interaction: data?.interaction?.id ?? data?.interaction ?? null });
    sessionStorage.setItem('crm.heard', JSON.stringify(window.heard.slice(-500)));
  });
}
parley.on('status', showAgent);
parley.on('signedIn', showAgent);
parley.on('signedOut', showAgent);

// Screen-pop: the customer's record opens as soon as the chat is offered, and again on accept.
parley.on('screenPop', ({ reason, interaction }) => {
  const pop = $('#pop');
  pop.hidden = reason !== 'offered';
  pop.textContent = `Incoming chat from ${interaction.contact}${interaction.verified ? '' : ' (e-mail not verified)'}`;
  showRecord(byEmail(interaction.email), interaction);
});
parley.on('accepted', ({ interaction }) => {
  const customer = byEmail(interaction.email);
  chats.set(interaction.id, { interaction: interaction.id, customer: customer?.id ?? null });
  saveChats();
  showRecord(customer, interaction);
});
parley.on('done', ({ interaction, disposition, note }) => {
  const c = cases.get(interaction);
  if (!c) return;
  Object.assign(c, { status: 'closed', disposition, note });
  saveCases();
  showRecord(byId(c.customer));
});
parley.on('closed', ({ interaction }) => {
  chats.delete(interaction);
  saveChats();
  const c = cases.get(interaction);
  if (c && c.status === 'open') {
    c.status = 'handed over';
    saveCases();
    showRecord(byId(c.customer));
  }
});

// The desktop asks who the contact is: the record's link shows on the chat.
await parley.handle('contactSearch', ({ email }) => {
  const customer = byEmail(email);
  return { record: customer ? { label: `${customer.name} in Acme CRM`, url: recordUrl(customer) } : null };
});
// No Mark Done without a case: the agent reads why in the desktop.
await parley.intercept('markDone', ({ interaction }) => (cases.has(interaction)
  ? { allow: true }
  : { allow: false, message: 'Link a case to this chat in Acme CRM before marking it done.' }), { onTimeout: 'refuse' });

await showAgent();
// The snapshot after a (re)load: the open chats, then the events after it.
const open = await parley.request('interactions.list').catch(() => []);
for (const ix of open) {
  if (!chats.has(ix.id)) chats.set(ix.id, { interaction: ix.id, customer: byEmail(ix.email)?.id ?? null });
}
saveChats();
const linked = /^#customer\/(.+)$/.exec(location.hash);
if (linked) showRecord(byId(linked[1]));
else if (open.length) showRecord(byEmail(open[0].email), open[0]);
else listCustomers();
