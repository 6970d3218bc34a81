// The sample CRM (examples/crm) on another origin with the desktop in its side panel, using only
// the host API: the offered chat pops the customer's record, accepting opens a case, a CRM button
// puts text into the composer, and Mark Done writes the disposition and note onto the case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveCrm } from '../examples/crm/serve.mjs';
import { ContactWidget, ROOT, Server, freePort, launchBrowser, scratchDir, shooter } from './support.mjs';

test('the sample CRM pops the record, opens a case and keeps the disposition', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const demo = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8')
    .replaceAll('attachment = "', `attachment = "${join(ROOT, 'config')}/`)
    .replace('origin = "http://127.0.0.2:8081"', `origin = "http://127.0.0.2:${port}"`);
  const config = join(scratchDir('parley-crm-'), 'parley.toml');
  writeFileSync(config, demo);
  const server = await Server.start(config);
  const crm = await serveCrm({ port, parley: server.url });
  const browser = await launchBrowser();
  const shot = shooter('crm');
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${crm.url}/`);
    const desk = page.frameLocator('#parley');
    await desk.getByTestId('login-username').fill('kate');
    await desk.getByTestId('login-password').fill('kate-demo');
    await desk.getByTestId('login-submit').click();
    const agent = page.getByTestId('crm-agent');
    await agent.filter({ hasText: 'Kate Lewis' }).waitFor();
    await page.getByTestId('crm-ready').click();
    await agent.filter({ hasText: 'Ready' }).waitFor();

    // A chat from a known customer pops her record before the agent answers.
    await ContactWidget.open(browser, server, 'Ana Pop', 'My invoice is wrong', { email: 'ana@example.com' });
    await page.getByTestId('crm-screen-pop').filter({ hasText: 'Ana Pop' }).waitFor();
    await page.getByTestId('crm-customer').filter({ hasText: 'Ana Pop' }).waitFor();
    await shot(page, 'screen-pop');

    await desk.getByTestId('preview-accept').click();
    await page.getByTestId('crm-case-status').filter({ hasText: 'open' }).waitFor();
    await page.getByTestId('crm-greet').click();
    assert.equal(await desk.getByTestId('composer-input').inputValue(), 'Hello Ana Pop, I have your file open.');

    // Mark Done in the desktop: the case gets the disposition and the note.
    await desk.getByTestId('chat-end').click();
    await desk.getByTestId('disposition-select').selectOption('Resolved');
    await desk.getByTestId('tab-note').click();
    await desk.getByTestId('note-input').fill('Credit note issued');
    await desk.getByTestId('chat-done').click();
    await page.getByTestId('crm-case-disposition').filter({ hasText: 'Resolved' }).waitFor();
    await page.getByTestId('crm-case-note').filter({ hasText: 'Credit note issued' }).waitFor();
    assert.match(await page.getByTestId('crm-case-status').textContent(), /closed/);
    await shot(page, 'case-closed');
  } finally {
    await browser.close();
    crm.close();
    await server.kill().catch(() => {});
  }
});
