// Languages: the contact's widget and the agent's desktop follow their browsers (German, Arabic
// right to left), the agent can choose another in the settings, system messages are said in the
// reader's language on each side, and in the pseudo-language every text either app shows comes
// from its catalogue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, AgentDesk, ContactWidget } from './support.mjs';

/**
 * Text on the page that did not come from a catalogue: text nodes and labels (placeholder,
 * aria-label, title) with a letter in them and no pseudo-language bracket, outside the parts
 * marked `translate="no"` (what people wrote: names, messages, file names) and dates.
 */
async function uncatalogued(page) {
  return page.evaluate(() => {
    const found = [];
    const letters = /\p{L}/u;
    const catalogued = (text) => text.includes('[') && text.includes(']');
    // Dates and times are the browser's (`Intl`), in `<time>`.
    const skipped = (el) => el.closest('[translate="no"], time, script, style, head') !== null;
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

/** The box of the first element matching `selector` on `page`. */
async function box(page, selector) {
  const b = await page.locator(selector).first().boundingBox();
  assert.ok(b, `${selector} is on screen`);
  return b;
}

test('a German agent works in German with a 24-hour clock, and can switch to French', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    await ContactWidget.open(browser, server, 'Mark Avram', 'Hallo', { locale: 'de-DE' });
    const kate = await AgentDesk.open(browser, server, 'kate', { locale: 'de-DE' });
    const page = kate.page;
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.getByTestId('logout').textContent(), 'Abmelden');
    // Not Ready reasons as the configuration calls them in German; their codes stay.
    const lunch = page.getByTestId('status-select').locator('option[value="reason:Lunch"]');
    assert.equal(await lunch.textContent(), 'Nicht bereit – Mittagspause');
    await kate.setStatus('ready');
    await kate.preview().first().waitFor();
    assert.equal(await page.getByTestId('preview-kind').first().textContent(), 'Eingehender Chat');
    assert.equal(await page.getByTestId('preview-accept').first().textContent(), 'Annehmen');
    await kate.answer();
    await kate.transcript().getByText('Mark Avram ist dem Chat beigetreten').waitFor();
    assert.equal(await page.getByTestId('chat-end').textContent(), 'Beenden');
    assert.equal(await page.getByTestId('composer-send').textContent(), 'Senden');
    const time = kate.transcript().locator('.pl-line__time').first();
    assert.match(await time.textContent(), /^\d{1,2}:\d{2}:\d{2}(?!.*[AP]M)/, 'a 24-hour clock, no AM or PM');
    // The contact's widget speaks German: the chat says so, and a standard response comes in it.
    await page.getByTestId('case-data').getByText('de', { exact: true }).waitFor();
    await page.getByTestId('composer-input').pressSequentially('#hi ');
    assert.equal(await page.getByTestId('composer-input').inputValue(), 'Hallo, wie kann ich Ihnen heute helfen? ');

    // A file waiting to be sent cannot wait over the reload: the language stays, and says why,
    // until the file is sent or removed.
    await page.getByTestId('attach-button').setInputFiles({ name: 'beleg.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 beleg') });
    await page.getByTestId('settings-button').click();
    await page.getByTestId('language-select').selectOption('fr');
    await page.getByTestId('desktop-notice').getByText('In einem Chat warten Dateien auf das Senden', { exact: false }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.getByTestId('language-select').inputValue(), 'de');
    await page.getByTestId('attachments-delete-all').click();

    // The settings switch the desktop to French: it reloads in French, still signed in, the
    // chat still open, its unsent draft kept.
    await page.getByTestId('composer-input').fill('Einen Moment bitte');
    if (!(await page.getByTestId('language-select').isVisible())) await page.getByTestId('settings-button').click();
    await page.getByTestId('language-select').selectOption('fr');
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    await page.getByTestId('connection-state').and(page.locator('[data-state=online]')).waitFor();
    await page.getByTestId('chat-end').and(page.getByText('Terminer')).waitFor();
    await kate.transcript().getByText('Mark Avram a rejoint le chat').waitFor();
    assert.equal(await page.getByTestId('composer-input').inputValue(), 'Einen Moment bitte');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('an Arabic agent\'s desktop runs right to left, the bar, the chat and the panel mirrored', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    await ContactWidget.open(browser, server, 'Mark Avram', 'مرحبا');
    const kate = await AgentDesk.open(browser, server, 'kate', { locale: 'ar-EG' });
    const page = kate.page;
    assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await page.locator('html').getAttribute('lang'), 'ar');
    assert.equal(await page.getByTestId('logout').textContent(), 'تسجيل الخروج');
    const brand = await box(page, '.pl-main-bar__brand');
    const logout = await box(page, '[data-testid=logout]');
    assert.ok(brand.x > logout.x, 'the brand starts the bar on the right');
    await kate.setStatus('ready');
    await kate.answer();
    await kate.transcript().getByText('مرحبا').waitFor();
    const input = await box(page, '[data-testid=composer-input]');
    const send = await box(page, '[data-testid=composer-send]');
    assert.ok(send.x + send.width <= input.x + 1, 'Send is on the left, after the message box');
    const transcript = await box(page, '[data-testid=transcript]');
    const panel = await box(page, '.pl-side');
    assert.ok(panel.x + panel.width <= transcript.x + 1, 'the side panel is on the left of the transcript');
    const from = await box(page, '[data-testid=message][data-from="Mark Avram"] .pl-line__from');
    assert.ok(from.x > transcript.x + transcript.width / 2, 'a line starts on the right with who wrote it');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('pseudo-language: every text the desktop shows comes from its catalogue', { timeout: 150_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const login = await (await browser.newContext({ locale: 'en-XA' })).newPage();
    await login.goto(`${server.url}/`);
    await login.getByTestId('login-username').waitFor();
    assert.deepEqual(await uncatalogued(login), [], 'the login');

    await ContactWidget.open(browser, server, 'Mark Avram', 'Hello');
    const kate = await AgentDesk.open(browser, server, 'kate', { locale: 'en-XA' });
    const john = await AgentDesk.open(browser, server, 'john');
    assert.deepEqual(await uncatalogued(kate.page), [], 'the desktop, empty');
    await kate.page.getByTestId('settings-button').click();
    assert.deepEqual(await uncatalogued(kate.page), [], 'the settings');
    await kate.page.getByTestId('settings-button').click();
    await kate.setStatus('ready');
    await kate.preview().first().waitFor();
    assert.deepEqual(await uncatalogued(kate.page), [], 'an offer');
    await kate.answer();
    await kate.transcript().getByText('Hello').waitFor();
    assert.deepEqual(await uncatalogued(kate.page), [], 'a chat');
    for (const tab of ['visit', 'contact', 'history', 'note']) {
      await kate.page.getByTestId(`tab-${tab}`).click();
      assert.deepEqual(await uncatalogued(kate.page), [], `the ${tab} tab`);
    }
    await kate.page.getByTestId('responses-button').click();
    assert.deepEqual(await uncatalogued(kate.page), [], 'the standard responses');
    await john.setStatus('ready');
    await kate.openTeam('consult');
    assert.deepEqual(await uncatalogued(kate.page), [], 'the Team Communicator');
    await kate.act('agent', 'john', 'consult');
    await john.answer();
    await kate.consultPanel().waitFor();
    assert.deepEqual(await uncatalogued(kate.page), [], 'a consultation');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test('refusals are said in the reader\'s language: a wrong password in German', { timeout: 60_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('login-username').fill('kate');
    await page.getByTestId('login-password').fill('not-her-password');
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    assert.equal(await error.textContent(), 'Benutzername oder Passwort ist falsch.');
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
