// The contact widget embedded in a website of another origin (127.0.0.2) with one script tag:
// launcher, chat in an iframe, the visitor's journey in the agent's Visit panel, and a chat that
// survives a reload of the host page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { AgentDesk, Server, launchBrowser, shooter } from './support.mjs';

/** A plain website on 127.0.0.2 with two pages, each with the embed tag. */
async function hostSite(chatServer) {
  const page = (title) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1><a href="/pricing">Pricing</a>
<script src="${chatServer.widgetUrl}/chat/embed.js" data-queue="general" async></script></body></html>`;
  const site = createServer((req, res) => {
    const title = req.url === '/pricing' ? 'Acme Pricing' : 'Acme Home';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(title));
  });
  await new Promise((ok) => site.listen(0, '127.0.0.2', ok));
  const timer = setTimeout(() => site.close(), 120_000);
  timer.unref();
  return { url: `http://127.0.0.2:${site.address().port}`, close: () => { clearTimeout(timer); site.close(); } };
}

test('the widget embedded in a website of another origin: launcher, chat, visitor journey, reload', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const site = await hostSite(server);
  const browser = await launchBrowser();
  const shot = shooter('embed');
  try {
    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${site.url}/`);
    await visitor.getByText('Pricing').click();
    await visitor.waitForURL(/pricing/);
    const launcher = visitor.getByTestId('widget-launcher');
    await launcher.waitFor();
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    await shot(visitor, 'host-page');

    // The launcher opens the chat in an iframe from the chat server's origin.
    await launcher.click();
    assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
    const frameSrc = await visitor.getByTestId('widget-frame').getAttribute('src');
    assert.ok(frameSrc.startsWith(`${server.widgetUrl}/chat/`), frameSrc);
    // The chat posts to this page's exact origin only, which the address names.
    assert.equal(new URL(frameSrc).searchParams.get('host'), site.url);
    const chat = visitor.frameLocator('[data-testid=widget-frame]');
    await chat.getByTestId('widget-name').fill('Vera Visitor');
    await chat.getByTestId('widget-first-message').fill('Which plan includes support?');
    const started = visitor.waitForResponse((r) => r.url() === `${server.widgetUrl}/api/chats`);
    await chat.getByTestId('widget-start').click();
    const { token } = await (await started).json();
    await chat.getByTestId('widget-transcript').getByText('Which plan includes support?').waitFor();
    await shot(visitor, 'chat-open');

    // The agent gets the chat with the journey in the Visit panel.
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await kate.answer();
    await kate.transcript().getByText('Which plan includes support?').waitFor();
    await kate.page.getByTestId('tab-visit').click();
    const pages = kate.page.getByTestId('visit-page');
    await pages.first().waitFor();
    assert.equal(await pages.count(), 2);
    assert.match(await pages.nth(0).textContent(), /Acme Home.*127\.0\.0\.2/);
    assert.match(await pages.nth(1).textContent(), /Acme Pricing.*\/pricing/);
    assert.equal(await kate.page.getByTestId('case-data').count(), 0, 'the Case data tab is not shown');
    await shot(kate.page, 'visit-panel');
    await kate.page.getByTestId('tab-case-data').click();
    assert.ok(!(await kate.page.getByTestId('case-data').textContent()).includes('Acme'), 'the journey is not raw case data');

    await kate.send('The Pro plan does');
    await chat.getByTestId('widget-transcript').getByText('The Pro plan does').waitFor();
    await chat.getByTestId('widget-input').fill('Thanks!');
    await chat.getByTestId('widget-send').click();
    await kate.transcript().getByText('Thanks!').waitFor();

    // Escape (inside the chat) closes it; the launcher brings it back as it was.
    await chat.getByTestId('widget-input').press('Escape');
    await visitor.getByTestId('widget-frame').waitFor({ state: 'hidden' });
    assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    await launcher.click();
    await chat.getByTestId('widget-transcript').getByText('Thanks!').waitFor();

    // The site keeps an opaque handle of the chat, never the chat's token: any script of the
    // site can read its storage.
    assert.match(token, /^[0-9a-f]{64}$/);
    const siteStorage = () => visitor.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
    const kept = await siteStorage();
    assert.match(kept['parley.handle'] ?? '', /^[0-9a-f]{64}$/, JSON.stringify(kept));
    assert.ok(!JSON.stringify(kept).includes(token), 'the token is not in the site\'s storage');
    // Where browsers refuse the frame its storage (as here), only the site's handle brings the
    // chat back.
    const frameStorage = () => visitor.frames().find((f) => f.url().startsWith(`${server.widgetUrl}/chat/`))
      .evaluate(() => { try { localStorage.clear(); return true; } catch (e) { return false; } });
    await frameStorage();

    // A reload of the host page: the chat comes back, nothing lost or doubled.
    const resumedAnswer = visitor.waitForResponse((r) => r.url() === `${server.widgetUrl}/api/chats/resume`);
    await visitor.reload();
    await visitor.getByTestId('widget-launcher').click();
    await shot(visitor, 'reloaded');
    await chat.getByTestId('widget-transcript').getByText('The Pro plan does').waitFor();
    assert.equal(await chat.getByTestId('widget-message').filter({ hasText: 'Thanks!' }).count(), 1);
    await kate.send('Anything else?');
    await chat.getByTestId('widget-transcript').getByText('Anything else?').waitFor();
    await shot(visitor, 'after-reload');
    const resumed = await (await resumedAnswer).json();
    assert.notEqual(resumed.token, token, 'the frame gets a token of its own');

    // The visitor ends the chat and starts another: the site forgets the handle and the server
    // revokes it, so a reload shows the form.
    await chat.getByTestId('widget-end').click();
    await chat.getByTestId('widget-new').click();
    await chat.getByTestId('widget-name').waitFor();
    await visitor.waitForFunction(() => localStorage.getItem('parley.handle') === null);
    await frameStorage();
    await visitor.reload();
    await visitor.getByTestId('widget-launcher').click();
    await chat.getByTestId('widget-name').waitFor();
    await visitor.waitForTimeout(500);
    assert.equal(await chat.getByTestId('widget-transcript').count(), 0, 'no chat comes back');
  } finally {
    await browser.close();
    site.close();
    await server.kill().catch(() => {});
  }
});

test('a link carrying a chat session never puts the visitor into that chat', { timeout: 120_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  const shot = shooter('session-link');
  try {
    // Someone starts a chat and copies its session out of the page's storage.
    const attacker = await (await browser.newContext()).newPage();
    await attacker.goto(`${server.widgetUrl}/chat/`);
    await attacker.getByTestId('widget-name').fill('Mallory');
    await attacker.getByTestId('widget-first-message').fill('Hello');
    await attacker.getByTestId('widget-start').click();
    await attacker.getByTestId('widget-transcript').getByText('Hello').waitFor();
    const session = await attacker.evaluate(() => localStorage.getItem('parley.chat'));
    assert.ok(session && session.includes('token'), 'the chat keeps its session in storage');

    // The victim follows links with that session, on the page itself and as if embedded.
    for (const link of [
      `${server.widgetUrl}/chat/#session=${encodeURIComponent(session)}`,
      `${server.widgetUrl}/chat/?embedded=1#journey=%5B%5D&session=${encodeURIComponent(session)}`,
    ]) {
      const victim = await (await browser.newContext()).newPage();
      await victim.goto(link);
      await victim.getByTestId('widget-name').waitFor();
      await victim.waitForTimeout(300);
      assert.equal(await victim.getByTestId('widget-transcript').count(), 0, `no chat from ${link}`);
      await shot(victim, 'fresh-form');
      await victim.context().close();
    }
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});

test("the widget runs on an origin of its own, out of reach of the agent's session", { timeout: 60_000 }, async () => {
  const server = await Server.start();
  const browser = await launchBrowser();
  try {
    const kate = await AgentDesk.open(browser, server, 'kate');
    const page = kate.page;
    // A socket's first words with no token: on the desktop's origin the session cookie answers.
    const bareHello = () => page.evaluate(() => new Promise((ok) => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
      ws.onopen = () => ws.send(JSON.stringify({ hello: { v: 8, resume: [] } }));
      ws.onmessage = (e) => { ok(e.data); ws.close(); };
      ws.onerror = () => ok('error');
    }));
    assert.match(await bareHello(), /^\{"welcome"/);
    assert.ok(await page.evaluate(() => sessionStorage.getItem('parley.session')), 'the desktop keeps its token');

    // The same tab goes to the widget's address on the desktop's host: the browser lands on the
    // widget's own origin, where neither the token nor the cookie reaches.
    await page.goto(`${server.url}/chat/`);
    await page.getByTestId('widget-name').waitFor();
    assert.equal(new URL(page.url()).origin, server.widgetUrl);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('parley.session')), null);
    assert.match(await bareHello(), /log in first/);
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
