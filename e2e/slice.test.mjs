// The walking skeleton: a contact chats with an agent, end to end, through a reject, an end,
// Mark Done and a server crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentDesk, ContactWidget, Server, launchBrowser, shooter } from './support.mjs';

test('one chat end to end: queue, reject, accept, both ways, end, done, restart', { timeout: 180_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('slice');
  try {
    // 1. The contact starts a chat and is queued.
    const contact = await ContactWidget.open(browser, server, 'Mark Avram', 'Hello, my card is refused');
    await contact.transcript().getByText('Agent will be with you shortly').waitFor();
    await contact.transcript().getByText('Hello, my card is refused').waitFor();
    await shot(contact.page, 'contact-queued');

    // 2. Kate logs in, goes Ready and is offered the chat.
    const kate = await AgentDesk.open(browser, server, 'kate');
    assert.equal(await kate.page.getByTestId('agent-name').textContent(), 'Kate Lewis');
    await kate.setStatus('ready');
    await kate.preview().waitFor();
    assert.equal(await kate.page.getByTestId('preview-from').textContent(), 'Mark Avram');
    assert.equal(await kate.page.getByTestId('preview-kind').textContent(), 'Inbound chat');
    await shot(kate.page, 'kate-offered');

    // 3. Kate rejects: the chat goes back to the queue and John, once Ready, is offered it.
    await kate.page.getByTestId('preview-reject').click();
    await kate.preview().waitFor({ state: 'detached' });
    assert.equal(await kate.page.getByTestId('interaction-tab').count(), 0);
    await shot(kate.page, 'kate-rejected');
    const john = await AgentDesk.open(browser, server, 'john');
    await john.setStatus('ready');
    await john.preview().waitFor();
    await shot(john.page, 'john-offered');

    // 4. John accepts: both sides see the joins and the messages, both ways, with times.
    await john.page.getByTestId('preview-accept').click();
    await john.page.getByTestId('interaction-tab').waitFor();
    await john.transcript().getByText('Hello, my card is refused').waitFor();
    await john.transcript().getByText("New party 'John' has joined the session").waitFor();
    await contact.transcript().getByText("New party 'John' has joined the session").waitFor();
    await john.send('Which card do you use?');
    await contact.transcript().getByTestId('widget-message').filter({ hasText: 'Which card do you use?' }).waitFor();
    await contact.send('A Visa card');
    const visa = john.transcript().getByTestId('message').filter({ hasText: 'A Visa card' });
    await visa.waitFor();
    assert.equal(await visa.getAttribute('data-from'), 'Mark Avram');
    assert.match(await visa.locator('time').textContent(), /\d{1,2}:\d{2}:\d{2} [AP]M/);
    await shot(john.page, 'john-chatting');
    await shot(contact.page, 'contact-chatting');

    // 5. John ends the chat, picks a disposition and marks it done: it leaves the desktop.
    await john.page.getByTestId('chat-end').click();
    await contact.page.getByTestId('widget-ended').waitFor();
    await john.page.getByTestId('chat-done').waitFor();
    await john.page.getByTestId('disposition-select').selectOption('Resolved');
    await shot(john.page, 'john-ended');
    await john.page.getByTestId('chat-done').click();
    await john.page.getByTestId('interaction-tab').waitFor({ state: 'detached' });
    await shot(john.page, 'john-done');

    // 6. The server dies and comes back: the desktop reconnects and the finished chat's
    //    transcript is still there for the contact after a reload.
    await server.kill();
    await john.page.locator('[data-testid=connection-state][data-state=offline]').waitFor();
    await shot(john.page, 'john-offline');
    await server.start();
    await john.page.locator('[data-testid=connection-state][data-state=online]').waitFor({ timeout: 20_000 });
    await john.page.getByText('Connection restored.').waitFor();
    await contact.page.reload();
    await contact.transcript().getByText('Which card do you use?').waitFor();
    await contact.transcript().getByText('A Visa card').waitFor();
    await contact.page.getByTestId('widget-ended').waitFor();
    await shot(contact.page, 'contact-after-restart');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
