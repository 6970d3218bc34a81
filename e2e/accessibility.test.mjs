// axe-core, every rule and no element excluded, in the light and the dark theme: the widget's
// form and chat; the desktop's login, the desktop empty, with an offer, with a chat, with the
// Team Communicator open, with a consultation, and the shortcuts sheet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, accessibilityViolations, AgentDesk, ContactWidget } from './support.mjs';

for (const colorScheme of ['light', 'dark']) {
  test(`the widget's form and chat have no accessibility violations (${colorScheme})`, { timeout: 90_000 }, async () => {
    const server = await Server.start();
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ colorScheme })).newPage();
      await page.goto(`${server.widgetUrl}/chat/`);
      await page.getByTestId('widget-start').waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], 'the form');
      // Refusing an empty name shows the error too.
      await page.getByTestId('widget-start').click();
      await page.getByTestId('widget-error').waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], 'the form with its error');
      await page.getByTestId('widget-name').fill('Mark Avram');
      await page.getByTestId('widget-first-message').fill('Hello');
      await page.getByTestId('widget-start').click();
      await page.getByTestId('widget-message').first().waitFor();
      await page.getByTestId('widget-system').first().waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], 'the chat');
      await page.getByTestId('widget-end').click();
      await page.getByTestId('widget-ended').waitFor();
      assert.deepEqual(await accessibilityViolations(page), [], 'the chat ended');
    } finally {
      await browser.close();
      await server.kill().catch(() => {});
    }
  });
}

for (const colorScheme of ['light', 'dark']) {
  test(`the desktop's pages have no accessibility violations (${colorScheme})`, { timeout: 120_000 }, async () => {
    const server = await Server.start();
    const browser = await launchBrowser();
    try {
      const login = await (await browser.newContext({ colorScheme })).newPage();
      await login.goto(`${server.url}/`);
      await login.getByTestId('login-username').waitFor();
      assert.deepEqual(await accessibilityViolations(login), [], 'the login');

      await ContactWidget.open(browser, server, 'Mark Avram', 'Hello');
      const kate = await AgentDesk.open(browser, server, 'kate', { colorScheme });
      const john = await AgentDesk.open(browser, server, 'john', { colorScheme });
      assert.deepEqual(await accessibilityViolations(kate.page), [], 'the desktop, empty');
      await kate.setStatus('ready');
      await kate.preview().first().waitFor();
      assert.deepEqual(await accessibilityViolations(kate.page), [], 'an offer');
      // The offer is said in a live region, the focus left where it was.
      const said = kate.page.getByTestId('offer-announcement');
      assert.equal(await said.getAttribute('aria-live'), 'assertive');
      assert.equal(await said.textContent(), 'Inbound chat: Mark Avram, general');
      assert.equal(await kate.page.evaluate(() => document.activeElement?.closest('[data-testid=preview]') ?? null), null);
      await kate.answer();
      await kate.transcript().getByText('Hello').waitFor();
      assert.deepEqual(await accessibilityViolations(kate.page), [], 'a chat');
      await john.setStatus('ready');
      await kate.openTeam('consult');
      assert.deepEqual(await accessibilityViolations(kate.page), [], 'the Team Communicator');
      await kate.act('agent', 'john', 'consult');
      await john.answer();
      await kate.consultPanel().waitFor();
      assert.deepEqual(await accessibilityViolations(kate.page), [], 'a consultation');
      await kate.page.evaluate(() => document.activeElement?.blur());
      await kate.page.keyboard.press('?');
      await kate.page.getByTestId('shortcuts').waitFor();
      assert.deepEqual(await accessibilityViolations(kate.page), [], 'the shortcuts');
    } finally {
      await browser.close();
      await server.kill().catch(() => {});
    }
  });
}

