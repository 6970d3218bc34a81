// axe-core, every rule and no element excluded, in the light and the dark theme: the widget's
// form and chat. (The desktop's pages come when its download has room for their fixes.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, accessibilityViolations } from './support.mjs';

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
