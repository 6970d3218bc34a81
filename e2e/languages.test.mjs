// Languages: the contact's widget follows the contact's browser (German, Arabic right to left),
// system messages are said in the reader's language on each side, and in the pseudo-language
// every text the widget shows comes from its catalogue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, AgentDesk, ContactWidget } from './support.mjs';

/**
 * Text on the page that did not come from a catalogue: text nodes and labels (placeholder,
 * aria-label, title) with a letter in them and no pseudo-language bracket, outside the parts
 * marked `translate="no"` (what people wrote: names, messages, file names).
 */
async function uncatalogued(page) {
  return page.evaluate(() => {
    const found = [];
    const letters = /\p{L}/u;
    const catalogued = (text) => text.includes('[') && text.includes(']');
    const skipped = (el) => el.closest('[translate="no"], script, style, head') !== null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!el || skipped(el) || !letters.test(text) || catalogued(text)) continue;
      if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
      found.push(text);
    }
    for (const el of document.body.querySelectorAll('[placeholder], [aria-label], [title]')) {
      if (skipped(el)) continue;
      for (const name of ['placeholder', 'aria-label', 'title']) {
        const value = el.getAttribute(name);
        if (value && letters.test(value) && !catalogued(value)) found.push(`${name}=${value}`);
      }
    }
    return found;
  });
}

test('a German contact reads the widget and its system messages in German; the agent in English', { timeout: 90_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const mark = await ContactWidget.open(browser, server, 'Mark Avram', 'Hallo', { locale: 'de-DE' });
    assert.equal(await mark.page.locator('html').getAttribute('lang'), 'de');
    await mark.page.getByText('Chatten Sie mit uns').waitFor();
    await mark.transcript().getByText('Gleich ist ein Mitarbeiter für Sie da').waitFor();
    assert.equal(await mark.page.getByTestId('widget-send').textContent(), 'Senden');
    assert.equal(await mark.page.getByTestId('widget-input').getAttribute('placeholder'), 'Nachricht eingeben…');

    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await kate.answer();
    await mark.transcript().getByText('Kate ist dem Chat beigetreten').waitFor();
    await kate.transcript().getByText('Agent will be with you shortly').waitFor();
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('an Arabic contact\'s widget runs right to left, its composer mirrored', { timeout: 90_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const contact = await ContactWidget.open(browser, server, 'Mark Avram', 'مرحبا', { locale: 'ar-EG' });
    const html = contact.page.locator('html');
    assert.equal(await html.getAttribute('dir'), 'rtl');
    assert.equal(await html.getAttribute('lang'), 'ar');
    await contact.page.getByText('تحدث معنا').waitFor();
    await contact.transcript().getByText('سيكون أحد الموظفين معك قريبًا').waitFor();
    const input = await contact.page.getByTestId('widget-input').boundingBox();
    const send = await contact.page.getByTestId('widget-send').boundingBox();
    assert.ok(send.x + send.width <= input.x + 1, 'the send button is on the left, after the message box');
    assert.equal(
      await contact.page.getByTestId('widget-input').evaluate((el) => getComputedStyle(el).direction),
      'rtl',
    );
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('pseudo-language: every text the widget shows comes from its catalogue', { timeout: 90_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ locale: 'en-XA' });
    const page = await context.newPage();
    await page.goto(`${server.widgetUrl}/chat/`);
    await page.getByTestId('widget-start').waitFor();
    assert.deepEqual(await uncatalogued(page), [], 'the form');
    // The check finds text that is not: a node written by hand is reported.
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('p'), { textContent: 'Hard-coded' })));
    assert.deepEqual(await uncatalogued(page), ['Hard-coded']);
    await page.evaluate(() => document.body.lastElementChild.remove());

    await page.getByTestId('widget-name').fill('Mark Avram');
    await page.getByTestId('widget-first-message').fill('Hello');
    await page.getByTestId('widget-start').click();
    await page.getByTestId('widget-system').first().waitFor();
    await page.getByTestId('widget-message').first().waitFor();
    assert.deepEqual(await uncatalogued(page), [], 'the chat');
    await page.getByTestId('widget-end').click();
    await page.getByTestId('widget-ended').waitFor();
    assert.deepEqual(await uncatalogued(page), [], 'the chat ended');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
