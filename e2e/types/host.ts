// How a CRM page uses the host API, checked against parley-desktop.d.ts by `tsc --strict`
// (e2e/sdk-types.test.mjs). The lines marked @ts-expect-error must stay errors: the types refuse
// a wrong method, wrong parameters and a wrong event.
import { ParleyDesktop, ParleyError, type Offer, type Position } from '../../embed/parley-desktop.js';

export async function crm(frame: HTMLIFrameElement): Promise<void> {
  const parley = await ParleyDesktop.connect(frame, { timeoutMs: 5000 });
  const scopes: string[] = parley.hello?.scopes ?? [];
  const state = await parley.request('agent.getState');
  const name: string | null = state.name;
  await parley.request('agent.setStatus', { status: { not_ready: { reason: 'Lunch' } } });
  const stop = parley.on('offered', (offer: Offer, position: Position) => {
    const email: string | null = offer.interaction.email;
    void [email, position.invitation];
  });
  parley.on('message', (m) => void [m.seq, m.from, m.text ?? '']);
  parley.on('signedOut', ({ reason }) => void (reason === 'expired'));
  await parley.handle('contactSearch', async (q) => ({ record: q.email ? { label: q.name, url: `https://crm.example/${q.email}` } : null }));
  await parley.intercept('markDone', (what) => (what.caseData.case ? { allow: true } : { allow: false, message: 'Link a case' }), { onTimeout: 'refuse' });
  await parley.setTheme({ '--pl-accent': '#0a6' });
  stop();
  parley.on('accepted', ({ interaction }) => void parley.request('chat.insertText', { interaction: interaction.id, text: 'Hello' }));
  await parley.request('collaboration.transfer', { interaction: 'ix-1', target: { queue: 'tier2' } });
  parley.on('closed', ({ interaction }) => void interaction.toUpperCase());
  try {
    await parley.request('chat.send', { interaction: 'ix-1', text: 'Hi' });
  } catch (e) {
    if (e instanceof ParleyError && e.code === 'forbidden') void e.message;
  }
  // @ts-expect-error: no such method
  await parley.request('agent.delete');
  // @ts-expect-error: accept names the interaction, not a number
  await parley.request('interactions.accept', { interaction: 7 });
  // @ts-expect-error: a target names its kind
  await parley.request('collaboration.consult', { interaction: 'ix-1', target: 'john' });
  // @ts-expect-error: no such event
  parley.on('exploded', () => {});
  // @ts-expect-error: only Mark Done and transfers are intercepted
  await parley.intercept('logout', () => ({ allow: true }));
  // @ts-expect-error: a refusal is not an answer to allow
  await parley.intercept('markDone', () => ({ allow: 'yes' }));
  void [scopes, name];
}
