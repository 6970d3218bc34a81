// The consultation, transfer and conference lessons, each walked in headless Chromium with a
// contact (widget) and two or three agents, each in a browser context of its own. Every test
// checks what each party sees, and that the contact never sees a consultation message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentDesk, ContactWidget, ROOT, Server, launchBrowser, scratchDir, shooter } from './support.mjs';

/** The demo configuration with offers that time out after 4 s. */
function quickOffers() {
  const file = join(scratchDir('parley-config-'), 'quick.toml');
  const demo = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8');
  // Files named in the configuration are relative to it: point them back at config/.
  const quick = demo
    .replace(/offer_timeout_secs = \d+/, 'offer_timeout_secs = 4')
    .replaceAll('attachment = "files/', `attachment = "${join(ROOT, 'config/files')}/`);
  writeFileSync(file, quick);
  return file;
}

/**
 * One lesson: Mark Avram chats with Kate; the other agents are logged in and Ready.
 * `body` gets the pages and a screenshot function.
 */
function lesson(name, body, { agents = ['john'], config } = {}) {
  test(name, { timeout: 150_000 }, async () => {
    const shot = shooter(name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, ''));
    const server = await Server.start(config);
    const browser = await launchBrowser();
    try {
      const mark = await ContactWidget.open(browser, server, 'Mark Avram', 'My card is refused');
      const kate = await AgentDesk.open(browser, server, 'kate');
      await kate.setStatus('ready');
      await kate.answer();
      await kate.transcript().getByText('My card is refused').waitFor();
      await kate.send('Hello Mark, let me check');
      await mark.transcript().getByText('Hello Mark, let me check').waitFor();
      const others = {};
      for (const id of agents) {
        others[id] = await AgentDesk.open(browser, server, id);
        await others[id].setStatus('ready');
      }
      await body({ mark, kate, ...others, shot });
    } finally {
      await browser.close();
      await server.kill().catch(() => {});
    }
  });
}

async function consult(kate, target, kind = 'agent', id = target) {
  await kate.openTeam('consult');
  await kate.act(kind, id, 'consult');
}

/** Kate consults John, who accepts: both see the consultation panel. */
async function consultJohn(kate, john) {
  await consult(kate, 'john');
  await john.answer();
  await kate.consultPanel().waitFor();
  await john.consultPanel().waitFor();
}

/** Kate asks John to conference, and John accepts. */
async function conferenceJohn(kate, john) {
  await kate.openTeam('conference');
  await kate.act('agent', 'john', 'conference');
  await john.answer();
  await john.transcript().getByText("New party 'John' has joined the session").waitFor();
}

/** After a last main-chat message reaches the contact, none of `secrets` is on its page. */
async function contactNeverSaw(mark, kate, secrets) {
  const marker = `Still with you (${Date.now()})`;
  await kate.send(marker);
  await mark.transcript().getByText(marker).waitFor();
  const page = await mark.page.content();
  for (const s of secrets) assert.ok(!page.includes(s), `the contact saw "${s}"`);
}

lesson('Starting a chat consultation', async ({ mark, kate, john, shot }) => {
  // 1-2. Start Consultation opens the Team Communicator; the Action menu offers the consultation.
  await kate.openTeam('consult');
  await kate.page.getByTestId('tc-search').fill('john');
  assert.equal(await kate.page.getByTestId('tc-result').count(), 1, 'the search finds John only');
  assert.match(await kate.target('agent', 'john').textContent(), /John Davis.*Ready/);
  await shot(kate.page, 'team-communicator');
  await kate.act('agent', 'john', 'consult');
  await john.answer();
  // 3. The consultation is added below the chat with the contact, visibly private.
  const panel = kate.consultPanel();
  await panel.waitFor();
  assert.match(await panel.textContent(), /Consultation with John.*the contact does not see this/);
  await kate.party('john').and(kate.page.locator('[data-status=consulting]')).waitFor();
  await kate.consultSend('Is a refused Visa usually a block?');
  await john.consultPanel().getByText('Is a refused Visa usually a block?').waitFor();
  await john.consultSend('Yes, ask for the expiry date');
  await panel.getByText('Yes, ask for the expiry date').waitFor();
  await shot(kate.page, 'consultation-below-the-chat');
  await contactNeverSaw(mark, kate, ['Is a refused Visa', 'ask for the expiry date']);
  // 4. Ending the consultation (from John's Action menu in the party list) does not end the
  //    chat with the contact.
  await kate.party('john').getByTestId('party-menu').click();
  await kate.party('john').getByTestId('party-end-consultation').click();
  await panel.getByText('Kate ended the consultation').waitFor();
  await john.consultPanel().getByText('Kate ended the consultation').waitFor();
  await kate.send('What is the expiry date on the card?');
  await mark.transcript().getByText('What is the expiry date on the card?').waitFor();
  await shot(kate.page, 'consultation-ended');
  await kate.page.getByTestId('consult-done').click();
  await panel.waitFor({ state: 'detached' });
  // The target marks its part done; its window closes.
  await john.page.getByTestId('consult-done').click();
  await john.tabs().waitFor({ state: 'detached' });
  assert.equal(await kate.tabs().count(), 1);
  await shot(kate.page, 'chat-goes-on');
  // My History: the chat is in Kate's; John only consulted, so it is not in his.
  await kate.page.getByTestId('my-history').click();
  await kate.page.getByTestId('my-history-entry').filter({ hasText: 'Mark Avram' }).waitFor();
  await john.page.getByTestId('my-history').click();
  await john.page.getByTestId('my-history-list').getByText('No chats yet.').waitFor();
});

lesson('Receiving a chat consultation request', async ({ mark, kate, john, shot }) => {
  await consult(kate, 'john');
  // 1. The Interaction Preview tells the kind, who asks, the contact and a countdown.
  await john.preview().waitFor();
  assert.equal(await john.page.getByTestId('preview-kind').textContent(), 'Chat consultation request');
  assert.equal(await john.page.getByTestId('preview-from').textContent(), 'Kate Lewis');
  assert.equal(await john.page.getByTestId('preview-contact').textContent(), 'Mark Avram');
  assert.match(await john.page.getByTestId('preview-countdown').textContent(), /0:\d\d/);
  await shot(john.page, 'consultation-preview');
  await john.page.getByTestId('preview-accept').click();
  // 2. The transcript with the contact, read-only, beside the private chat with Kate.
  await john.consultPanel().waitFor();
  await john.transcript().getByText('My card is refused').waitFor();
  await john.transcript().getByText('Hello Mark, let me check').waitFor();
  assert.equal(await john.page.getByTestId('composer-input').count(), 0, 'no writing to the contact');
  assert.equal(await john.page.getByTestId('chat-end').count(), 0);
  await mark.send('It is a Visa card');
  await john.transcript().getByText('It is a Visa card').waitFor();
  await john.consultSend('Ask whether it expired');
  await kate.consultPanel().getByText('Ask whether it expired').waitFor();
  await kate.consultSend('Thanks');
  await john.consultPanel().getByText('Thanks').waitFor();
  await shot(john.page, 'consulting');
  await contactNeverSaw(mark, kate, ['Ask whether it expired']);
  // The target ends the consultation and marks it done.
  await john.page.getByTestId('consult-end').click();
  await kate.consultPanel().getByText('John ended the consultation').waitFor();
  await john.page.getByTestId('consult-done').click();
  await john.tabs().waitFor({ state: 'detached' });
  await shot(john.page, 'done');
  assert.equal(await kate.page.getByTestId('composer-input').count(), 1, 'Kate still chats with Mark');
});

lesson('Ending the chat ends its consultation', async ({ mark, kate, john, shot }) => {
  await consultJohn(kate, john);
  await kate.page.getByTestId('chat-end').click();
  await mark.page.getByTestId('widget-ended').waitFor();
  await john.consultPanel().getByText('Kate ended the consultation').waitFor();
  assert.equal(await john.page.getByTestId('consult-input').count(), 0);
  await shot(john.page, 'consultation-ended-with-the-chat');
  await john.page.getByTestId('consult-done').click();
  await john.tabs().waitFor({ state: 'detached' });
  // Both must mark done: Kate's window stays until she does.
  await kate.page.getByTestId('chat-done').click();
  await kate.tabs().waitFor({ state: 'detached' });
});

lesson('Starting an instant chat transfer', async ({ mark, kate, john, shot }) => {
  await kate.openTeam('transfer');
  await shot(kate.page, 'team-communicator');
  await kate.act('agent', 'john', 'transfer');
  await shot(kate.page, 'transfer-requested');
  // Until the target accepts, the window stays.
  assert.equal(await kate.tabs().count(), 1);
  await john.answer();
  // Accepted: the window closes on Kate's desktop and opens on John's.
  await kate.tabs().waitFor({ state: 'detached' });
  await john.transcript().getByText('My card is refused').waitFor();
  await mark.transcript().getByText("Party 'Kate' has left the session").waitFor();
  await john.send('John here, I will take it from here');
  await mark.transcript().getByText('John here, I will take it from here').waitFor();
  await shot(kate.page, 'window-closed');
  await shot(mark.page, 'contact-sees-john');
});

lesson('Receiving a transferred chat', async ({ mark, kate, john, shot }) => {
  await kate.openTeam('transfer');
  await kate.act('agent', 'john', 'transfer');
  await john.preview().waitFor();
  assert.equal(await john.page.getByTestId('preview-kind').textContent(), 'Chat transfer request');
  assert.equal(await john.page.getByTestId('preview-from').textContent(), 'Kate Lewis');
  await shot(john.page, 'transfer-preview');
  await john.page.getByTestId('preview-accept').click();
  // John owns the chat with the whole transcript; Kate is gone from the party list.
  await john.transcript().getByText('My card is refused').waitFor();
  await john.transcript().getByText('Hello Mark, let me check').waitFor();
  await john.transcript().getByText("'John' is now the owner of the chat").waitFor();
  await john.party('kate').and(john.page.locator('[data-status=left]')).waitFor();
  await john.party('contact').and(john.page.locator('[data-status=connected]')).waitFor();
  await mark.send('Are you still there?');
  await john.transcript().getByText('Are you still there?').waitFor();
  await john.send('Yes, I have your chat now');
  await mark.transcript().getByText('Yes, I have your chat now').waitFor();
  await shot(john.page, 'owner');
  // He handles it to the end like any chat.
  await john.page.getByTestId('chat-end').click();
  await john.page.getByTestId('chat-done').click();
  await john.tabs().waitFor({ state: 'detached' });
});

lesson('Starting a chat transfer to an active consultation', async ({ mark, kate, john, shot }) => {
  await consultJohn(kate, john);
  // 1. Transfer opens the Team Communicator with the active consultation first.
  await kate.openTeam('transfer');
  const active = kate.page.getByTestId('tc-active-consultations');
  await active.waitFor();
  assert.equal(await active.getByTestId('tc-result').getAttribute('data-id'), 'john');
  await shot(kate.page, 'active-consultations');
  // 2. Instant Chat Transfer beside the target: no second invitation, the window closes.
  await active.getByTestId('tc-action-menu').click();
  await active.getByTestId('tc-action-transfer').click();
  await kate.tabs().waitFor({ state: 'detached' });
  await john.page.getByTestId('composer-input').waitFor();
  assert.equal(await john.preview().count(), 0, 'no second invitation');
  await john.consultPanel().getByText('The consultation ended').waitFor();
  await john.send('John here, taking over');
  await mark.transcript().getByText('John here, taking over').waitFor();
  await shot(john.page, 'john-owns-the-chat');
});

lesson('Starting an instant chat conference', async ({ mark, kate, john, shot }) => {
  await kate.openTeam('conference');
  await shot(kate.page, 'team-communicator');
  await kate.act('agent', 'john', 'conference');
  await john.answer();
  // 2. The target sees the whole transcript; the target is added on Kate's side.
  await john.transcript().getByText('My card is refused').waitFor();
  await kate.party('john').and(kate.page.locator('[data-status=connected]')).waitFor();
  await kate.transcript().getByText("New party 'John' has joined the session").waitFor();
  // Everyone sees what the others send.
  await john.send('Hi Mark, John from billing');
  await mark.transcript().getByText('Hi Mark, John from billing').waitFor();
  await kate.transcript().getByText('Hi Mark, John from billing').waitFor();
  await mark.send('Thank you both');
  await john.transcript().getByText('Thank you both').waitFor();
  await kate.transcript().getByText('Thank you both').waitFor();
  await shot(kate.page, 'conference');
  // 3. End while John is connected: the chat passes to him.
  await kate.page.getByTestId('chat-end').click();
  await kate.page.getByTestId('chat-done').waitFor();
  await john.transcript().getByText("'John' is now the owner of the chat").waitFor();
  await john.send('I will finish this with you');
  await mark.transcript().getByText('I will finish this with you').waitFor();
  await kate.page.getByTestId('chat-done').click();
  await kate.tabs().waitFor({ state: 'detached' });
  await shot(john.page, 'john-remains');
});

lesson('Receiving a chat conference', async ({ mark, kate, john, shot }) => {
  await kate.openTeam('conference');
  await kate.act('agent', 'john', 'conference');
  await john.preview().waitFor();
  assert.equal(await john.page.getByTestId('preview-kind').textContent(), 'Chat conference request');
  await shot(john.page, 'conference-preview');
  await john.page.getByTestId('preview-accept').click();
  // 1. Connected, with the whole transcript.
  await john.party('john').and(john.page.locator('[data-status=connected]')).waitFor();
  await john.party('kate').and(john.page.locator('[data-status=connected]')).waitFor();
  assert.match(await john.party('john').textContent(), /Connected/);
  await john.transcript().getByText('My card is refused').waitFor();
  await john.send('John joining');
  await mark.transcript().getByText('John joining').waitFor();
  await kate.transcript().getByText('John joining').waitFor();
  await shot(john.page, 'connected');
  // 3-4. End the chat: John leaves; Kate stays with the contact; disposition and Done.
  await john.page.getByTestId('chat-end').click();
  await kate.transcript().getByText("Party 'John' has left the session").waitFor();
  await john.page.getByTestId('disposition-select').selectOption('Resolved');
  await john.page.getByTestId('chat-done').click();
  await john.tabs().waitFor({ state: 'detached' });
  await kate.send('Kate still here');
  await mark.transcript().getByText('Kate still here').waitFor();
  await shot(kate.page, 'kate-remains');
});

lesson('Starting a chat conference with an active consultation', async ({ mark, kate, john, shot }) => {
  await consultJohn(kate, john);
  await kate.consultSend('Can you join the chat?');
  await john.consultPanel().getByText('Can you join the chat?').waitFor();
  // Instant Chat Conference: the Team Communicator lists the active consultation.
  await kate.openTeam('conference');
  const active = kate.page.getByTestId('tc-active-consultations');
  await active.getByTestId('tc-result').waitFor();
  await shot(kate.page, 'active-consultations');
  await active.getByTestId('tc-action-menu').click();
  await active.getByTestId('tc-action-conference').click();
  // An invitation goes to the target; once accepted the consultation ends and John is a party.
  await john.answer();
  await john.consultPanel().getByText('The consultation ended').waitFor();
  await kate.consultPanel().getByText('The consultation ended').waitFor();
  await kate.party('john').and(kate.page.locator('[data-status=connected]')).waitFor();
  await john.page.getByTestId('composer-input').waitFor();
  await john.send('Joined as a party now');
  await mark.transcript().getByText('Joined as a party now').waitFor();
  await kate.transcript().getByText('Joined as a party now').waitFor();
  await shot(kate.page, 'conference-from-consultation');
  await contactNeverSaw(mark, kate, ['Can you join the chat?']);
});

lesson('Delete From Conference', async ({ mark, kate, john, shot }) => {
  await conferenceJohn(kate, john);
  await kate.party('john').getByTestId('party-menu').click();
  await shot(kate.page, 'party-menu');
  await kate.party('john').getByTestId('party-delete-from-conference').click();
  await kate.party('john').and(kate.page.locator('[data-status=left]')).waitFor();
  await mark.transcript().getByText("Party 'John' was removed from the conference").waitFor();
  // John's part is over: he marks it done.
  await john.page.getByTestId('chat-done').waitFor();
  await john.page.getByTestId('chat-done').click();
  await john.tabs().waitFor({ state: 'detached' });
  await kate.send('Just me again');
  await mark.transcript().getByText('Just me again').waitFor();
  await shot(kate.page, 'deleted');
});

lesson('Remaining connected after the conferencing agent disconnects', async ({ mark, kate, john, shot }) => {
  await conferenceJohn(kate, john);
  await kate.page.getByTestId('chat-end').click();
  // John remains connected to the contact and can finish the chat.
  await john.party('kate').and(john.page.locator('[data-status=left]')).waitFor();
  await john.transcript().getByText("Party 'Kate' has left the session").waitFor();
  await mark.send('Hello?');
  await john.transcript().getByText('Hello?').waitFor();
  await john.send('I am still here');
  await mark.transcript().getByText('I am still here').waitFor();
  await shot(john.page, 'john-remains-connected');
  assert.equal(await john.page.getByTestId('chat-done').count(), 0, 'the chat is not over for John');
});

/**
 * Kate asks John for `request` twice: he rejects the first and lets the second time out. Each
 * outcome shows at the top of Kate's window (`where`: chat-notice or chat-error).
 */
async function rejectedThenTimedOut({ kate, john, shot }, button, noun, where) {
  const ask = async () => {
    await kate.openTeam(button);
    await kate.act('agent', 'john', button);
    await john.preview().waitFor();
  };
  await ask();
  await john.answer(false);
  await kate.page.getByTestId(where).getByText(new RegExp(`John.* rejected the ${noun}`)).waitFor();
  await shot(kate.page, 'rejected');
  await ask();
  const timedOut = new RegExp(`John.* did not answer the ${noun} request`);
  await kate.page.getByTestId(where).getByText(timedOut).waitFor({ timeout: 15_000 });
  await john.preview().waitFor({ state: 'detached' });
  await shot(kate.page, 'timed-out');
  assert.equal(await kate.tabs().count(), 1, 'the window stays');
  assert.equal(await john.tabs().count(), 0, 'John never joined');
}

lesson('Consultation rejected, then timed out', async (pages) => {
  await rejectedThenTimedOut(pages, 'consult', 'consultation', 'chat-notice');
  const { mark, kate } = pages;
  assert.equal(await kate.consultPanel().count(), 0);
  assert.equal(await kate.page.getByTestId('my-messages').textContent(), 'My Messages (0)');
  await contactNeverSaw(mark, kate, ['rejected the consultation', 'did not answer']);
}, { config: quickOffers() });

lesson('Transfer rejected, then timed out', async (pages) => {
  await rejectedThenTimedOut(pages, 'transfer', 'transfer', 'chat-error');
  const { kate, shot } = pages;
  await kate.page.getByTestId('my-messages').click();
  const list = kate.page.getByTestId('my-messages-list');
  await list.getByText(/rejected the transfer/).waitFor();
  await list.getByText(/did not answer the transfer request/).waitFor();
  assert.equal(await kate.page.getByTestId('my-messages').textContent(), 'My Messages (2)');
  await shot(kate.page, 'my-messages');
}, { config: quickOffers() });

lesson('Conference rejected, then timed out', async (pages) => {
  await rejectedThenTimedOut(pages, 'conference', 'conference', 'chat-notice');
  const { mark, kate } = pages;
  assert.equal(await kate.party('john').count(), 0, 'John never joined');
  await contactNeverSaw(mark, kate, ['rejected the conference']);
}, { config: quickOffers() });

lesson('A group target whose first agent rejects is offered to the next one', async ({ mark, kate, john, avril, shot }) => {
  await kate.openTeam('consult');
  await kate.page.getByTestId('tc-search').fill('tier');
  await kate.target('group', 'tier2').waitFor();
  // The keyboard: Enter takes the button's action on the highlighted target.
  await kate.page.getByTestId('tc-search').press('Enter');
  await kate.page.getByTestId('team-communicator').waitFor({ state: 'detached' });
  // One of the group is asked first; that agent rejects and the other is asked.
  const first = await Promise.race([
    john.preview().waitFor().then(() => john),
    avril.preview().waitFor().then(() => avril),
  ]);
  const next = first === john ? avril : john;
  await shot(first.page, 'first-offered');
  await first.answer(false);
  await next.answer();
  await next.consultPanel().waitFor();
  await kate.consultPanel().waitFor();
  assert.equal(await first.tabs().count(), 0);
  await kate.consultSend('Thanks for picking this up');
  await next.consultPanel().getByText('Thanks for picking this up').waitFor();
  await shot(next.page, 'next-accepted');
  await contactNeverSaw(mark, kate, ['Thanks for picking this up']);
}, { agents: ['john', 'avril'] });
