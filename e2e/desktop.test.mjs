// The Chat Interaction window: several chats at once, the message-area tools, and a server
// restart in the middle of a chat with nothing lost or doubled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentDesk, ContactWidget, Server, launchBrowser, shooter } from './support.mjs';

async function acceptNext(desk) {
  await desk.preview().first().waitFor();
  await desk.page.getByTestId('preview-accept').first().click();
}

async function count(locator) {
  return locator.count();
}

test('two concurrent chats: switching keeps drafts, unread counts and the pending colour', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('two-chats');
  try {
    const mark = await ContactWidget.open(browser, server, 'Mark Avram', 'My card is refused');
    const avril = await ContactWidget.open(browser, server, 'Avril Mai', 'Where is my parcel?');
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await acceptNext(kate);
    await kate.page.getByTestId('interaction-tab').nth(0).waitFor();
    await acceptNext(kate);
    await kate.page.getByTestId('interaction-tab').nth(1).waitFor();
    const tabs = kate.page.getByTestId('interaction-tab');
    assert.equal(await tabs.count(), 2);
    const markTab = tabs.filter({ hasText: 'Mark Avram' });
    const avrilTab = tabs.filter({ hasText: 'Avril Mai' });
    assert.match(await markTab.textContent(), /\d\d:\d\d/, 'elapsed time on the tab');
    assert.equal(await markTab.getAttribute('data-pending'), 'ok');

    // A draft survives switching chats.
    await markTab.click();
    await kate.transcript().getByText('My card is refused').waitFor();
    await kate.page.getByTestId('composer-input').fill('Which card do you');
    await avrilTab.click();
    await kate.transcript().getByText('Where is my parcel?').waitFor();
    assert.equal(await kate.page.getByTestId('composer-input').inputValue(), '');
    await kate.send('Let me check your parcel');
    await avril.transcript().getByText('Let me check your parcel').waitFor();

    // A message in the chat not in view counts as unread.
    await mark.send('A Visa card');
    await markTab.getByTestId('interaction-tab-unread').waitFor();
    assert.equal(await markTab.getByTestId('interaction-tab-unread').textContent(), '1');
    await shot(kate.page, 'unread-on-the-other-tab');
    await markTab.click();
    assert.equal(await kate.page.getByTestId('composer-input').inputValue(), 'Which card do you', 'draft kept');
    await markTab.getByTestId('interaction-tab-unread').waitFor({ state: 'detached' });
    await kate.transcript().getByText('A Visa card').waitFor();
    await shot(kate.page, 'draft-kept');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('message area: keyword responses, emoji, Push URL, links, read marks and zoom', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('message-area');
  try {
    const mark = await ContactWidget.open(browser, server, 'Mark Avram', 'Hello');
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await acceptNext(kate);
    await kate.transcript().getByText('Hello').waitFor();

    // Each message is isolated and takes the direction of its own first letters, on both sides.
    await mark.send('שלום, my order');
    const direction = (locator) => locator.evaluate((el) => getComputedStyle(el).direction);
    const hebrew = kate.page.locator('.pl-line__text', { hasText: 'my order' });
    await hebrew.waitFor();
    assert.equal(await direction(hebrew), 'rtl');
    assert.equal(await direction(kate.page.locator('.pl-line__text', { hasText: 'Hello' })), 'ltr');
    assert.equal(await direction(mark.page.locator('.pl-bubble__text', { hasText: 'my order' })), 'rtl');

    // Typing shows on the other side; only agents see what the contact types.
    await mark.page.getByTestId('widget-input').pressSequentially('the visa end');
    await kate.page.getByTestId('typing').waitFor();
    await kate.page.getByTestId('typing-preview').filter({ hasText: 'the visa end' }).waitFor();
    await mark.page.getByTestId('widget-input').fill('');
    await kate.page.getByTestId('composer-input').pressSequentially('Let me');
    await mark.page.getByTestId('widget-typing').filter({ hasText: 'Kate is typing' }).waitFor();
    await kate.page.getByTestId('composer-input').fill('');

    // "#hi " becomes the Greeting standard response.
    await kate.page.getByTestId('composer-input').pressSequentially('#hi ');
    assert.equal(await kate.page.getByTestId('composer-input').inputValue(), 'Hello, how can I help you today? ');
    await kate.page.getByTestId('emoji-button').click();
    await kate.page.getByTestId('emoji').first().click();
    await kate.page.getByTestId('composer-send').click();
    await mark.transcript().getByText('Hello, how can I help you today? 🙂').waitFor();

    // The library: search by category, click to insert.
    await kate.page.getByTestId('responses-button').click();
    await kate.page.getByTestId('responses-search').fill('closers');
    assert.equal(await kate.page.getByTestId('response-item').count(), 1);
    await kate.page.getByTestId('response-item').click();
    assert.match(await kate.page.getByTestId('composer-input').inputValue(), /Thank you for contacting us/);
    await kate.page.getByTestId('composer-input').fill('');

    // Push URL: refused when not a web address, sent as the navigation text otherwise.
    await kate.page.getByTestId('push-url-button').click();
    await kate.page.getByTestId('push-url-input').fill('javascript:alert(1)');
    await kate.page.getByTestId('push-url-send').click();
    await kate.page.getByText('Enter a web address').waitFor();
    await kate.page.getByTestId('push-url-input').fill('https://example.com/help');
    await kate.page.getByTestId('push-url-send').click();
    await mark.transcript().getByText('Please navigate to the link: https://example.com/help').waitFor();

    // The contact's address arrives as a real link, and only http(s) addresses are links.
    await mark.send('see https://example.org/order?id=7 not javascript:alert(2)');
    const link = kate.transcript().locator('a', { hasText: 'https://example.org/order?id=7' });
    await link.waitFor();
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await kate.transcript().locator('a').count(), 2);

    // E-mail addresses and phone numbers are links too, showing what was written, on both sides.
    await mark.send('mail ana.pop@example.com or call +44 20 7946 0958, order 123456');
    const mail = kate.transcript().locator('a', { hasText: 'ana.pop@example.com' });
    await mail.waitFor();
    assert.equal(await mail.getAttribute('href'), 'mailto:ana.pop@example.com');
    assert.equal(await mail.getAttribute('target'), null);
    const phone = kate.transcript().locator('a', { hasText: '+44 20 7946 0958' });
    assert.equal(await phone.getAttribute('href'), 'tel:+442079460958');
    assert.equal(await kate.transcript().locator('a', { hasText: '123456' }).count(), 0);
    await mark.transcript().locator('a[href="tel:+442079460958"]').waitFor();

    // Read marks: the widget reads what it shows.
    const mine = kate.transcript().locator('[data-testid=message][data-read]');
    await kate.page.waitForFunction(() => document.querySelectorAll('[data-testid=message][data-read="true"]').length >= 2, null, { timeout: 10_000 });
    assert.ok(await mine.count() >= 2);

    const size = () => kate.transcript().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    const before = await size();
    await kate.page.getByTestId('zoom-in').click();
    await kate.page.getByTestId('zoom-in').click();
    assert.ok((await size()) > before, 'zoom in enlarges the transcript text');
    await shot(kate.page, 'tools');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('reconnect without loss: the server dies mid-chat and comes back', { timeout: 150_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('reconnect');
  try {
    const mark = await ContactWidget.open(browser, server, 'Mark Avram', 'Hello');
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await acceptNext(kate);
    await kate.send('before the crash');
    await mark.transcript().getByText('before the crash').waitFor();

    await server.kill();
    await kate.page.locator('[data-testid=connection-state][data-state=offline]').waitFor();
    await kate.page.getByText('Connection to the server lost').waitFor();
    // Both sides keep writing while the server is away.
    await kate.send('while it was down');
    await kate.transcript().getByTestId('message-unsent').filter({ hasText: 'while it was down' }).waitFor();
    await mark.send('me too, offline');
    await shot(kate.page, 'offline');

    await server.start();
    await kate.page.locator('[data-testid=connection-state][data-state=online]').waitFor({ timeout: 20_000 });
    await kate.page.getByText('Connection restored.').waitFor();
    await mark.transcript().getByText('while it was down').waitFor({ timeout: 20_000 });
    await kate.transcript().getByText('me too, offline').waitFor({ timeout: 20_000 });
    await kate.send('after the restart');
    await mark.transcript().getByText('after the restart').waitFor();
    await shot(kate.page, 'back');
    await shot(mark.page, 'contact-back');

    for (const text of ['before the crash', 'while it was down', 'me too, offline', 'after the restart']) {
      assert.equal(await count(kate.transcript().getByTestId('message').filter({ hasText: text })), 1, `agent: ${text} once`);
      assert.equal(await count(mark.transcript().getByTestId('widget-message').filter({ hasText: text })), 1, `contact: ${text} once`);
    }
    assert.equal(await kate.transcript().getByTestId('message-unsent').count(), 0);
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('an accepted chat comes to the front over the chat on screen, its message box focused', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('accept-to-front');
  try {
    await ContactWidget.open(browser, server, 'Mark Avram', 'My card is refused');
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await acceptNext(kate);
    await kate.transcript().getByText('My card is refused').waitFor();
    // The first chat ends and waits on screen for Mark Done.
    await kate.page.getByTestId('chat-end').click();
    await kate.page.getByTestId('chat-done').waitFor();

    const email = 'avril.mai.who.writes.from.a.very.long.address@customer-service.example.com';
    await ContactWidget.open(browser, server, 'Avril Mai', 'Where is my parcel?', { email });
    // Long case data wraps inside the Interaction Preview instead of running off it.
    const preview = kate.preview().first();
    await preview.getByText(email).waitFor();
    const box = await preview.boundingBox();
    const value = await preview.getByText(email).boundingBox();
    assert.ok(value.x + value.width <= box.x + box.width + 0.5, `the e-mail ends at ${value.x + value.width}, the preview at ${box.x + box.width}`);
    await shot(kate.page, 'long-case-data-wraps');
    await acceptNext(kate);
    await kate.tabs().nth(1).waitFor();
    await kate.page.locator('[data-testid=chat] h2', { hasText: 'Avril Mai' }).waitFor();
    await kate.transcript().getByText('Where is my parcel?').waitFor();
    await kate.page.waitForFunction(() => document.activeElement?.dataset?.testid === 'composer-input');
    await shot(kate.page, 'accepted-chat-in-front');
    // Typing goes straight into the new chat.
    await kate.page.keyboard.type('Let me look');
    assert.equal(await kate.page.getByTestId('composer-input').inputValue(), 'Let me look');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('after a close for a broken rule (1008) the desktop stops reconnecting and says so', { timeout: 60_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    // Every socket goes through to the server; once the desktop is online, the route closes
    // the first one towards the page with the given code, as the server would.
    const closeWith = async (code) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const sockets = [];
      await page.routeWebSocket(/\/ws$/, (ws) => {
        sockets.push(ws);
        ws.connectToServer();
      });
      await page.goto(`${server.url}/`);
      await page.getByTestId('login-username').fill('kate');
      await page.getByTestId('login-password').fill('kate-demo');
      await page.getByTestId('login-submit').click();
      const state = page.getByTestId('connection-state');
      await state.and(page.locator('[data-state=online]')).waitFor();
      await sockets[0].close({ code, reason: code === 1008 ? 'no hello in time' : 'restarting' });
      // Retries start at 250 ms: three seconds are room for several.
      await page.waitForTimeout(3_000);
      const seen = {
        sockets: sockets.length,
        state: await state.getAttribute('data-state'),
        notice: await page.getByTestId('desktop-notice').textContent(),
      };
      await context.close();
      return seen;
    };
    const refused = await closeWith(1008);
    assert.equal(refused.sockets, 1, 'no second connection after 1008');
    assert.equal(refused.state, 'offline');
    assert.match(refused.notice, /refused this connection\. Reload/);
    // Any other close is retried, as before.
    const restart = await closeWith(1012);
    assert.equal(restart.sockets, 2, 'one new connection after 1012');
    assert.equal(restart.state, 'online');
  } finally {
    await browser.close();
    await server.kill();
  }
});
