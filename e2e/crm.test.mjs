// The sample CRM (examples/crm) on 127.0.0.2 with the desktop (127.0.0.1) in its side panel,
// in a browser context that blocks third-party cookies and storage, using only the host API:
// sign-in through Parley's pop-up, a frame reload without a second prompt, screen-pop, the
// contact's record linked from the desktop, accept, consult and transfer from the CRM, Mark Done
// refused until a case is linked, a reload of the CRM page in the middle of a chat with no event
// missed or doubled, a request outside the page's scopes, and a second tab of the same agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveCrm } from '../examples/crm/serve.mjs';
import { AgentDesk, ContactWidget, ROOT, Server, freePort, launchBrowser, scratchDir, shooter } from './support.mjs';

/** Waits until `check` holds, asking every 100 ms for at most 10 s. */
async function until(check) {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('not in 10 s');
}

/** The events of the CRM's log that stand at a place in the server's order, as keys. */
const placed = (heard) => heard
  .filter((e) => e.position && (e.position.invitation || e.position.interaction))
  .map((e) => `${e.name} ${JSON.stringify(e.position)}`);

test('the desktop in the sample CRM, with third-party storage blocked', { timeout: 240_000 }, async () => {
  const port = await freePort();
  const demo = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8')
    .replaceAll('attachment = "', `attachment = "${join(ROOT, 'config')}/`)
    .replace('origin = "http://127.0.0.2:8081"', `origin = "http://127.0.0.2:${port}"`);
  // A key to read the agents' states (`/api/v1/agents`), to know when John's status is set.
  const key = `pk_${randomBytes(32).toString('hex')}`;
  const config = join(scratchDir('parley-crm-'), 'parley.toml');
  writeFileSync(config, `${demo}
[[api_keys]]
name = "test"
key_hashes = ["${createHash('sha256').update(key).digest('hex')}"]
scopes = ["agents.read"]
`);
  const server = await Server.start(config);
  const crm = await serveCrm({ port, parley: server.url });
  const browser = await launchBrowser();
  const shot = shooter('crm');
  try {
    const context = await browser.newContext();

    // Control: a cookie and a storage item Parley's origin sets as a page of its own are not
    // there in its frame under the CRM. If they were, this context would not test anything.
    const probe = await context.newPage();
    await probe.goto(`${server.url}/`);
    const set = await probe.evaluate(() => {
      document.cookie = 'probe=1; SameSite=None; Secure; Path=/';
      localStorage.setItem('probe', '1');
      return [document.cookie, localStorage.getItem('probe')];
    });
    assert.deepEqual(set, ['probe=1', '1'], 'set as a first party');
    await probe.close();
    const page = await context.newPage();
    await page.goto(`${crm.url}/`);
    const desk = page.frameLocator('#parley');
    await desk.getByTestId('login-popup').waitFor();
    const framed = page.frames().find((f) => f.url().startsWith(server.url));
    const inFrame = await framed.evaluate(() => {
      let stored;
      try {
        stored = localStorage.getItem('probe');
      } catch (e) {
        stored = `blocked (${e.name})`;
      }
      return { cookie: document.cookie, stored };
    });
    assert.ok(!inFrame.cookie.includes('probe=1'), `third-party cookie present: ${inFrame.cookie}`);
    assert.notEqual(inFrame.stored, '1', 'third-party storage present');

    // Signing in through a pop-up on Parley's own origin, which hands the frame the session.
    const [popup] = await Promise.all([context.waitForEvent('page'), desk.getByTestId('login-popup').click()]);
    assert.ok(popup.url().startsWith(`${server.url}/`), popup.url());
    await popup.getByTestId('login-username').fill('kate');
    await popup.getByTestId('login-password').fill('kate-demo');
    await Promise.all([popup.waitForEvent('close'), popup.getByTestId('login-submit').click()]);
    const agent = page.getByTestId('crm-agent');
    await agent.filter({ hasText: 'Kate Lewis' }).waitFor();
    await desk.getByTestId('connection-state').and(desk.locator('[data-state=online]')).waitFor();
    await shot(page, 'signed-in-by-pop-up');

    // A reload of the frame signs in again without asking.
    await framed.evaluate(() => location.reload());
    await desk.getByTestId('connection-state').and(desk.locator('[data-state=online]')).waitFor();
    assert.equal(await desk.getByTestId('login-username').count(), 0, 'no second prompt');
    await page.getByTestId('crm-ready').click();
    await agent.filter({ hasText: 'Ready' }).waitFor();

    // A chat from a known customer pops her record before the agent answers.
    const ana = await ContactWidget.open(browser, server, 'Ana Pop', 'My invoice is wrong', { email: 'ana@example.com' });
    await page.getByTestId('crm-screen-pop').filter({ hasText: 'Ana Pop' }).waitFor();
    await page.getByTestId('crm-customer').filter({ hasText: 'Ana Pop' }).waitFor();
    await shot(page, 'screen-pop');
    const interaction = await page.evaluate(() => window.heard.find((e) => e.name === 'offered').interaction);

    // The CRM accepts; the desktop shows the record the CRM's contact search found.
    assert.equal(await page.evaluate((id) => window.parley.request('interactions.accept', { interaction: id }), interaction), null);
    await desk.getByTestId('transcript').getByText('My invoice is wrong').waitFor();
    const record = desk.getByTestId('contact-record');
    await record.filter({ hasText: 'Ana Pop in Acme CRM' }).waitFor();
    assert.equal(await record.getAttribute('href'), `${crm.url}/#customer/c-2`);

    // A request outside the page's scopes is refused with its typed error.
    const refused = await page.evaluate((id) => window.parley.request('chat.send', { interaction: id, text: 'Hi' }).then(() => 'sent', (e) => e.code), interaction);
    assert.equal(refused, 'forbidden');

    // The CRM page reloads in the middle of the chat while the contact writes: afterwards it
    // has heard every event once.
    await ana.send('Are you there?');
    await page.waitForFunction(() => window.heard.some((e) => e.name === 'message' && e.position.seq >= 3));
    const reloaded = page.reload();
    await ana.send('Hello?');
    await ana.send('I am still waiting');
    await reloaded;
    await agent.filter({ hasText: 'Kate Lewis' }).waitFor();
    await desk.getByTestId('transcript').getByText('I am still waiting').waitFor();
    // Four messages from Ana: the first, one before the reload, two during it.
    await page.waitForFunction(() => window.heard.filter((e) => e.name === 'message').length >= 4);
    const heard = await page.evaluate(() => window.heard);
    const keys = placed(heard);
    assert.deepEqual(keys, [...new Set(keys)], 'no event twice');
    const seqs = heard.filter((e) => e.name === 'message').map((e) => e.position.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'messages in order');
    assert.equal(seqs.length, 4, `messages heard: ${seqs}`);
    await shot(page, 'after-host-reload');

    // Consulting Tier 2 from the CRM: John takes the consultation, Kate ends it.
    const john = await AgentDesk.open(browser, server, 'john');
    await john.setStatus('ready');
    await page.getByTestId('crm-link-case').click();
    await page.getByTestId('crm-consult').click();
    await john.answer();
    await desk.getByTestId('consult-panel').waitFor();
    await page.evaluate((id) => window.parley.request('collaboration.endConsultation', { interaction: id }), interaction);
    await john.consultPanel().getByText('Kate ended the consultation').waitFor();
    await john.page.getByTestId('consult-done').click();
    // John steps away, so that the next chat is Kate's; the server confirms before it comes.
    await john.page.getByTestId('status-select').selectOption({ label: 'Not Ready' });
    await until(async () => {
      const answer = await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: `Bearer ${key}` } });
      const { agents } = await answer.json();
      return agents.find((a) => a.id === 'john')?.status !== 'ready';
    });

    // Mark Done is refused until the chat has a case, then writes onto it.
    await page.evaluate(() => sessionStorage.removeItem('crm.cases'));
    await page.reload();
    await agent.filter({ hasText: 'Kate Lewis' }).waitFor();
    await desk.getByTestId('chat-end').click();
    await desk.getByTestId('disposition-select').selectOption('Resolved');
    await desk.getByTestId('tab-note').click();
    await desk.getByTestId('note-input').fill('Credit note issued');
    await desk.getByTestId('chat-done').click();
    await desk.getByTestId('chat-error').filter({ hasText: 'Link a case to this chat in Acme CRM' }).waitFor();
    assert.equal(await desk.getByTestId('interaction-tab').count(), 1, 'the chat stays');
    await shot(page, 'mark-done-refused');
    await page.getByTestId('crm-link-case').click();
    await page.getByTestId('crm-case-status').filter({ hasText: 'open' }).waitFor();
    await desk.getByTestId('chat-done').click();
    await page.getByTestId('crm-case-disposition').filter({ hasText: 'Resolved' }).waitFor();
    await page.getByTestId('crm-case-note').filter({ hasText: 'Credit note issued' }).waitFor();
    assert.match(await page.getByTestId('crm-case-status').textContent(), /closed/);
    await desk.getByTestId('interaction-tab').waitFor({ state: 'detached' });
    await shot(page, 'case-closed');

    // A second chat goes to Tier 2 from the CRM's button: John takes it, it leaves Kate.
    await ContactWidget.open(browser, server, 'Mark Avram', 'Upgrade my plan', { email: 'mark@example.com' });
    await desk.getByTestId('preview-accept').click();
    await john.setStatus('ready');
    await page.getByTestId('crm-link-case').click();
    await page.getByTestId('crm-case-status').filter({ hasText: 'open' }).waitFor();
    await page.getByTestId('crm-transfer').click();
    await john.answer();
    await john.transcript().getByText('Upgrade my plan').waitFor();
    await page.getByTestId('crm-case-status').filter({ hasText: 'handed over' }).waitFor().catch(async (e) => {
      // What the page heard and what it keeps, to tell why.
      const kept = await page.evaluate(() => ({ heard: window.heard.slice(-12), cases: sessionStorage.getItem('crm.cases') }));
      throw new Error(`${e.message}\n${JSON.stringify(kept)}`);
    });
    await desk.getByTestId('interaction-tab').waitFor({ state: 'detached' });

    // Kate opens Parley in a tab of its own too: it waits while the CRM's frame is in use,
    // and "Use it here" moves her there; the frame then waits in turn.
    const tab = await context.newPage();
    await tab.goto(`${server.url}/`);
    await tab.getByTestId('login-username').fill('kate');
    await tab.getByTestId('login-password').fill('kate-demo');
    await tab.getByTestId('login-submit').click();
    await tab.getByTestId('elsewhere').filter({ hasText: 'Parley is open in another window' }).waitFor();
    assert.equal(await desk.getByTestId('elsewhere').count(), 0, 'the frame stays in use');
    await shot(tab, 'second-tab-waits');
    await tab.getByTestId('use-here').click();
    await tab.getByTestId('elsewhere').waitFor({ state: 'detached' });
    await desk.getByTestId('elsewhere').waitFor();
    await shot(page, 'frame-waits');
    await desk.getByTestId('use-here').click();
    await tab.getByTestId('elsewhere').waitFor();
    await desk.getByTestId('elsewhere').waitFor({ state: 'detached' });
  } finally {
    await browser.close();
    crm.close();
    await server.kill().catch(() => {});
  }
});
