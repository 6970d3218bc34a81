// The keyboard alone: an agent signs in, becomes Ready, accepts a chat, replies with a standard
// response, takes a second chat, ends it and marks it done (the focus moving on to the first),
// and transfers the first through the Team Communicator; screen readers hear of a message in
// the chat not on screen; `?` lists the shortcuts. No mouse from the login on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, AgentDesk, ContactWidget, withChat } from './support.mjs';

/** The `data-testid` of what has the focus. */
function focused(page) {
  return page.evaluate(() => document.activeElement?.dataset?.testid ?? null);
}

/** Presses Tab until the control with this test id has the focus (at most 40 times). */
async function tabTo(page, id) {
  for (let i = 0; i < 40; i += 1) {
    if ((await focused(page)) === id) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${id}`);
}

async function waitForFocus(page, id) {
  await page.waitForFunction((id) => document.activeElement?.dataset?.testid === id, id);
}

test('keyboard only: accept, standard response, end and done, transfer through the Team Communicator', { timeout: 150_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const mark = await ContactWidget.open(browser, server, 'Mark Avram', 'Hello');
    const john = await AgentDesk.open(browser, server, 'john');
    const page = await (await browser.newContext()).newPage();
    const key = (k) => page.keyboard.press(k);
    await page.goto(`${server.url}/`);
    await waitForFocus(page, 'login-username');
    await page.keyboard.type('kate');
    await key('Tab');
    await page.keyboard.type('kate-demo');
    await key('Enter');
    await page.getByTestId('connection-state').and(page.locator('[data-state=online]')).waitFor();

    // Ready: the status list takes arrows.
    await tabTo(page, 'status-select');
    await key('ArrowUp');
    await page.getByTestId('preview').first().waitFor();
    await key('Alt+Shift+KeyY');
    await page.getByTestId('transcript').getByText('Hello').waitFor();
    await waitForFocus(page, 'composer-input');

    // A standard response: open them, find one, insert it, back to the message box, send.
    await key('Alt+Shift+KeyR');
    await waitForFocus(page, 'responses-search');
    await page.keyboard.type('greet');
    await key('Tab');
    assert.equal(await focused(page), 'response-item');
    await key('Enter');
    await key('Alt+Shift+KeyM');
    assert.equal(await focused(page), 'composer-input');
    assert.equal(await page.getByTestId('composer-input').inputValue(), 'Hello, how can I help you today?');
    await key('Enter');
    await mark.transcript().getByText('Hello, how can I help you today?').waitFor();

    // A second chat comes to the front; a message in the first is said, not shown.
    const mary = await ContactWidget.open(browser, server, 'Mary Major', 'Hi there');
    await page.getByTestId('preview').first().waitFor();
    await key('Alt+Shift+KeyY');
    await page.getByTestId('transcript').getByText('Hi there').waitFor();
    await mark.send('Are you still there?');
    await page.getByTestId('desk-announcement').getByText('New message from Mark Avram').waitFor();
    assert.equal(await page.locator('.pl-chat__title').textContent(), 'Mary Major');
    await mary.transcript().getByText('Hi there').waitFor();

    // End and Mark Done: the first chat takes the screen and the focus.
    await key('Alt+Shift+KeyE');
    await page.getByTestId('chat-done').waitFor();
    await key('Alt+Shift+KeyD');
    await page.locator('.pl-chat__title').getByText('Mark Avram').waitFor();
    await waitForFocus(page, 'composer-input');
    await page.getByTestId('transcript').getByText('Are you still there?').waitFor();

    // Transfer through the Team Communicator: search, Enter takes the highlighted agent.
    await john.setStatus('ready');
    await key('Alt+Shift+KeyX');
    await waitForFocus(page, 'tc-search');
    await page.keyboard.type('John');
    await page.locator('[data-testid=tc-result][aria-current=true][data-id=john]').waitFor();
    await key('Enter');
    await john.preview().first().waitFor();
    await john.page.keyboard.press('Alt+Shift+KeyY');
    await john.transcript().getByText('Are you still there?').waitFor();
    await page.getByTestId('chat').waitFor({ state: 'detached' });

    // `?` lists the shortcuts and gives the focus back on Escape.
    await key('?');
    await page.getByTestId('shortcuts').getByText('Alt+Shift+Y').waitFor();
    await waitForFocus(page, 'shortcuts-close');
    await key('Escape');
    await page.getByTestId('shortcuts').waitFor({ state: 'detached' });
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('in the message box the shortcuts keep their hands off the text', { timeout: 90_000 }, () => withChat(async ({ kate }) => {
  const input = kate.page.getByTestId('composer-input');
  await input.focus();
  await kate.page.keyboard.type('Why? ');
  await kate.page.keyboard.press('Alt+Shift+KeyM');
  assert.equal(await input.inputValue(), 'Why? ', '`?` is typed, Alt+Shift+M types nothing');
  assert.equal(await kate.page.getByTestId('shortcuts').count(), 0);
}));
