// History above the current chat: the contact's earlier chats load as the agent scrolls up,
// oldest at the top, separated by day, with the "Current chat" mark and the history limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentDesk, ContactWidget, Server, identity, launchBrowser, shooter } from './support.mjs';

// Mark's chats are linked because his site vouches for his e-mail (a signed identity).
async function contactChat(browser, server, text) {
  const mark = await ContactWidget.open(browser, server, 'Mark Avram', text, { identity: identity('mark@example.com') });
  await mark.transcript().getByText(text).waitFor();
  return mark.page;
}

test('earlier chats of the contact load above the current one as the agent scrolls up', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('history');
  try {
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');

    // A first chat, finished.
    await contactChat(browser, server, 'My card is refused');
    await kate.answer();
    await kate.send('It is unblocked now');
    await kate.page.getByTestId('chat-end').click();
    await kate.page.getByTestId('chat-done').click();
    await kate.tabs().waitFor({ state: 'detached' });

    // The same contact comes back.
    const mark = await contactChat(browser, server, 'Hello again');
    await kate.answer();
    const transcript = kate.transcript();
    await transcript.getByText('Hello again').waitFor();
    assert.equal(await transcript.getByText('My card is refused').count(), 0, 'not before scrolling up');

    // His earlier chat counts beside his connection status, and the count opens his history.
    const others = kate.page.getByTestId('contact-chats');
    await others.waitFor();
    assert.equal(await others.textContent(), '1');
    assert.match(await others.getAttribute('aria-label'), /^1 other chat of this contact/);
    await others.click();
    const entries = kate.page.getByTestId('contact-history-entry');
    await entries.first().waitFor();
    assert.equal(await entries.count(), 1);
    await shot(kate.page, 'other-chats-count');

    // Scrolling up (the wheel at the top) brings the earlier chat above the current one.
    await transcript.hover();
    await kate.page.mouse.wheel(0, -400);
    await transcript.getByTestId('current-chat-marker').waitFor();
    await transcript.getByText('My card is refused').waitFor();
    await transcript.getByText('It is unblocked now').waitFor();
    const order = await transcript.locator('li').evaluateAll((items) => items.map((li) => li.dataset.testid + ':' + li.textContent));
    const at = (needle) => order.findIndex((t) => t.includes(needle));
    assert.ok(at('day-separator') < at('My card is refused'), order.join('\n'));
    assert.ok(at('My card is refused') < at('current-chat-marker'));
    assert.ok(at('current-chat-marker') < at('Hello again'));
    assert.match(await transcript.getByTestId('day-separator').first().textContent(), /Today/);
    await shot(kate.page, 'earlier-chat-above');

    // Once nothing earlier is left, the limit of the history shows at the top.
    await kate.page.getByTestId('load-older').click();
    const notice = transcript.getByTestId('history-limit-notice');
    await notice.waitFor();
    assert.equal(await notice.textContent(), '180 last days loaded, no more accessible');
    assert.equal(await kate.page.getByTestId('load-older').count(), 0);
    await shot(kate.page, 'history-limit');

    // The current chat goes on below.
    await kate.send('Welcome back');
    await mark.getByTestId('widget-transcript').getByText('Welcome back').waitFor();
    const last = await transcript.locator('li').last().textContent();
    assert.match(last, /Welcome back/);
    assert.equal(await mark.getByText('My card is refused').count(), 0, 'the contact sees only this chat');
    await kate.page.getByTestId('tab-contact').click();
    await kate.page.getByTestId('contact-info').getByText('mark@example.com').waitFor();
    assert.equal(await kate.page.getByTestId('contact-unverified').count(), 0, 'his site vouched for him');
    await kate.page.getByTestId('chat-end').click();
    await kate.page.getByTestId('chat-done').click();
    await kate.tabs().waitFor({ state: 'detached' });

    // Someone who types Mark's address is marked unverified, and sees none of his chats come up.
    await ContactWidget.open(browser, server, 'Mark Avram', 'It is me, really', { email: 'mark@example.com' });
    await kate.answer();
    await transcript.getByText('It is me, really').waitFor();
    await kate.page.getByTestId('tab-contact').click();
    await kate.page.getByTestId('contact-unverified').waitFor();
    // His history, asked for, lists none of Mark's chats, and no count shows beside him.
    await kate.page.getByTestId('tab-history').click();
    await kate.page.getByTestId('contact-history').getByText('No earlier chats').waitFor();
    assert.equal(await kate.page.getByTestId('contact-chats').count(), 0, 'no chats of his counted');
    await transcript.hover();
    await kate.page.mouse.wheel(0, -400);
    await transcript.getByTestId('history-limit-notice').waitFor();
    assert.equal(await transcript.getByText('My card is refused').count(), 0, 'no earlier chat');
    await shot(kate.page, 'unverified-contact');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
