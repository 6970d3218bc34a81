// How a CRM page uses the host API, checked against parley-desktop.d.ts by `tsc --strict`
// (e2e/sdk-types.test.mjs). The lines marked @ts-expect-error must stay errors: the types refuse
// a wrong method, wrong parameters and a wrong event.
import { ParleyDesktop, ParleyError, type Offer } from '../../embed/parley-desktop.js';

export async function crm(frame: HTMLIFrameElement): Promise<void> {
  const parley = await ParleyDesktop.connect(frame, { timeoutMs: 5000 });
  const scopes: string[] = parley.hello?.scopes ?? [];
  const state = await parley.request('agent.getState');
  const name: string | null = state.name;
  await parley.request('agent.setStatus', { status: { not_ready: { reason: 'Lunch' } } });
  const stop = parley.on('offered', (offer: Offer, position: number) => {
    const email: string | null = offer.interaction.email;
    void [email, position];
  });
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
  void [scopes, name];
}
