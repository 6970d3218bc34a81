// Reflow (WCAG 1.4.10) and text at 200 % (1.4.4): at 320 and 360 CSS px wide, and at 640 (a
// 1280 px window zoomed to 200 %), no page of either app scrolls sideways and nothing on it is
// cut off at the window's edges: the main bar folds into a menu, the side panel goes under the
// chat, the Team Communicator and the previews take the width there is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, AgentDesk, ContactWidget } from './support.mjs';

/** What is too wide on the page: the document scrolling sideways, and every element shown
 *  with a `data-testid` that reaches past the window's left or right edge. */
async function tooWide(page) {
  return page.evaluate(() => {
    const found = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) found.push(`the page scrolls ${root.scrollWidth - root.clientWidth} px sideways`);
    for (const el of document.querySelectorAll('[data-testid]')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.left < -1 || r.right > root.clientWidth + 1) found.push(`${el.dataset.testid} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    return found;
  });
}

for (const width of [320, 360, 640]) {
  test(`at ${width} CSS px wide nothing scrolls sideways or is cut off`, { timeout: 150_000 }, async () => {
    const server = await Server.start();
    const browser = await launchBrowser();
    const viewport = { width, height: 640 };
    try {
      const contact = await ContactWidget.open(browser, server, 'Mark Avram Alexandrescu-Popescu', 'Hello, I have a question about my order https://example.com/orders/12345678901234567890', { viewport });
      await contact.transcript().getByText('Hello').waitFor();
      assert.deepEqual(await tooWide(contact.page), [], 'the widget\'s chat');

      const login = await (await browser.newContext({ viewport })).newPage();
      await login.goto(`${server.url}/`);
      await login.getByTestId('login-username').waitFor();
      assert.deepEqual(await tooWide(login), [], 'the login');

      const kate = await AgentDesk.open(browser, server, 'kate', { viewport });
      const john = await AgentDesk.open(browser, server, 'john');
      const page = kate.page;
      assert.deepEqual(await tooWide(page), [], 'the desktop, empty');
      const folded = await page.getByTestId('main-menu').isVisible();
      assert.equal(folded, width < 720, 'the bar folds below 720 px');
      if (folded) {
        // The bar's less used controls are behind its menu.
        assert.equal(await page.getByTestId('logout').isVisible(), false);
        await page.getByTestId('main-menu').click();
        await page.getByTestId('logout').waitFor();
        assert.deepEqual(await tooWide(page), [], 'the main menu');
      }
      await page.getByTestId('settings-button').click();
      assert.deepEqual(await tooWide(page), [], 'the settings');
      await page.getByTestId('settings-button').click();
      if (folded) await page.getByTestId('main-menu').click();
      await kate.setStatus('ready');
      await kate.preview().first().waitFor();
      assert.deepEqual(await tooWide(page), [], 'an offer');
      await kate.answer();
      await kate.transcript().getByText('Hello').waitFor();
      assert.deepEqual(await tooWide(page), [], 'a chat');
      // Narrow, the side panel is a drawer under the chat, closed at first.
      assert.equal(await page.locator('.pl-side').isVisible(), !folded);
      if (folded) await page.getByTestId('chat-collapse').click();
      for (const tab of ['visit', 'contact', 'history', 'note', 'case-data']) {
        await page.getByTestId(`tab-${tab}`).click();
        assert.deepEqual(await tooWide(page), [], `the ${tab} tab`);
      }
      for (const tool of ['emoji-button', 'responses-button', 'push-url-button']) {
        await page.getByTestId(tool).click();
        assert.deepEqual(await tooWide(page), [], tool);
      }
      // The transcript at the desktop's largest text.
      if (folded) await page.getByTestId('main-menu').click();
      for (let i = 0; i < 12; i += 1) await page.getByTestId('zoom-in').click();
      if (folded) await page.getByTestId('main-menu').click();
      assert.deepEqual(await tooWide(page), [], 'the largest text');
      await john.setStatus('ready');
      await kate.openTeam('consult');
      assert.deepEqual(await tooWide(page), [], 'the Team Communicator');
      await kate.act('agent', 'john', 'consult');
      await john.answer();
      await kate.consultPanel().waitFor();
      assert.deepEqual(await tooWide(page), [], 'a consultation');
    } finally {
      await browser.close();
      await server.kill().catch(() => {});
    }
  });
}
