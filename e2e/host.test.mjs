// The desktop inside a CRM page of another origin (127.0.0.2), driven through the host API
// (`/embed/parley-desktop.js`): the page sees the agent's status and offers, accepts a chat and
// puts text into the composer; a request outside its scopes is refused; a page whose origin the
// server does not list gets no answer at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { AgentDesk, ROOT, Server, freePort, launchBrowser, scratchDir, shooter } from './support.mjs';

/** A small CRM page on 127.0.0.2 with the desktop in a side panel and the host API loaded. */
async function crmPage(parley, port) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme CRM</title></head>
<body style="display:flex;gap:16px;margin:0"><main style="flex:1"><h1>Acme CRM</h1></main>
<iframe id="parley" title="Parley" src="${parley.url}/" style="width:900px;height:760px;border:0"></iframe>
<script type="module">
import { ParleyDesktop } from '${parley.url}/embed/parley-desktop.js';
window.events = [];
window.connectParley = async (timeoutMs) => {
  window.parley = await ParleyDesktop.connect(document.getElementById('parley'), { timeoutMs });
  for (const name of ['offered', 'accepted', 'offerGone', 'status', 'ended', 'closed', 'signedIn', 'signedOut']) {
    window.parley.on(name, (data, position) => window.events.push({ name, data, position }));
  }
  return window.parley.hello;
};
window.call = (method, params) =>
  window.parley.request(method, params).then((result) => ({ result }), (e) => ({ error: e.code }));
// The desktop opened in a pop-up instead of a frame: does it answer this page's hello?
window.popupHello = (url, timeoutMs) => new Promise((resolve) => {
  const popup = window.open(url, 'parley', 'popup,width=900,height=700');
  const origin = new URL(url).origin;
  const heard = (event) => {
    if (event.source !== popup || event.origin !== origin || event.data?.kind !== 'reply') return;
    clearInterval(ask);
    window.removeEventListener('message', heard);
    resolve(event.data.result);
  };
  window.addEventListener('message', heard);
  const ask = setInterval(() => popup.postMessage({ parley: 1, kind: 'request', id: 'p1', method: 'hello', params: {} }, origin), 300);
  setTimeout(() => { clearInterval(ask); resolve('no answer'); }, timeoutMs);
});
</script></body></html>`;
  const site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((ok) => site.listen(port, '127.0.0.2', ok));
  const timer = setTimeout(() => site.close(), 120_000);
  timer.unref();
  return { url: `http://127.0.0.2:${port}`, close: () => { clearTimeout(timer); site.close(); } };
}

/** The demo configuration, with this CRM origin allowed to frame the desktop. */
function configWithHost(origin) {
  const demo = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8')
    .replaceAll('attachment = "', `attachment = "${join(ROOT, 'config')}/`);
  const path = join(scratchDir('parley-host-'), 'parley.toml');
  writeFileSync(path, `${demo}
[[embed.hosts]]
origin = "${origin}"
scopes = ["agent.*", "interaction.*", "chat.insert", "collaboration.*"]
`);
  return path;
}

test('a CRM page of another origin drives the framed desktop through the host API', { timeout: 120_000 }, async () => {
  const crmPort = await freePort();
  const server = await Server.start(configWithHost(`http://127.0.0.2:${crmPort}`));
  const crm = await crmPage(server, crmPort);
  const stranger = await crmPage(server, await freePort());
  const browser = await launchBrowser();
  const shot = shooter('host');
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${crm.url}/`);
    const desk = page.frameLocator('#parley');
    // The page connects before anyone signs in: it is told so, and hears the sign-in.
    const hello = await page.evaluate(() => window.connectParley(10000));
    assert.deepEqual(hello, { version: 1, scopes: ['agent.*', 'interaction.*', 'chat.insert', 'collaboration.*'], signedIn: false });
    const before = await page.evaluate(() => window.call('agent.getState', {}));
    assert.equal(before.result.signedIn, false);
    assert.deepEqual(await page.evaluate(() => window.call('interactions.list', {})), { error: 'signed_out' });
    await desk.getByTestId('login-username').fill('kate');
    await desk.getByTestId('login-password').fill('kate-demo');
    await desk.getByTestId('login-submit').click();
    await desk.getByTestId('connection-state').and(desk.locator('[data-state=online]')).waitFor();
    await page.waitForFunction(() => window.events.some((e) => e.name === 'signedIn' && e.data.agent === 'kate'));
    const state = await page.evaluate(() => window.call('agent.getState', {}));
    assert.equal(state.result.agent, 'kate');

    // The page sets the agent Ready and hears so.
    assert.deepEqual(await page.evaluate(() => window.call('agent.setStatus', { status: 'ready' })), { result: null });
    await page.waitForFunction(() => window.events.some((e) => e.name === 'status' && e.data.status === 'ready'));

    // A chat arrives: the page is told (to open the customer's record), and accepts it.
    const started = await fetch(`${server.url}/api/chats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ana Pop', text: 'Where is my parcel?' }),
    });
    assert.equal(started.status, 200);
    const { interaction } = await started.json();
    await page.waitForFunction((id) => window.events.some((e) => e.name === 'offered' && e.data.interaction.id === id), interaction);
    await shot(page, 'offered');
    assert.deepEqual(await page.evaluate((id) => window.call('interactions.accept', { interaction: id }), interaction), { result: null });
    await page.waitForFunction((id) => window.events.some((e) => e.name === 'accepted' && e.data.interaction.id === id), interaction);
    await desk.getByTestId('transcript').getByText('Where is my parcel?').waitFor();

    // Text from the CRM goes into the composer; the agent sends it.
    await page.evaluate((id) => window.call('chat.insertText', { interaction: id, text: 'Your parcel left today.' }), interaction);
    assert.equal(await desk.getByTestId('composer-input').inputValue(), 'Your parcel left today.');
    // Sending itself is outside this page's scopes.
    assert.deepEqual(await page.evaluate((id) => window.call('chat.send', { interaction: id, text: 'Hi' }), interaction), { error: 'forbidden' });
    // The chat's events stand where the server put them: the chat, and the seq of its last event.
    const accepted = await page.evaluate((id) => window.events.find((e) => e.name === 'accepted' && e.data.interaction.id === id), interaction);
    assert.equal(accepted.position.interaction, interaction);
    assert.ok(accepted.position.seq >= 1, JSON.stringify(accepted.position));
    await shot(page, 'accepted-and-inserted');

    // Consultation and transfer, driven from the CRM: John is consulted, then takes the chat.
    const john = await AgentDesk.open(browser, server, 'john');
    await john.setStatus('ready');
    const consult = (kind) => page.evaluate(([id, method]) =>
      window.call(method, { interaction: id, target: { agent: 'john' } }), [interaction, `collaboration.${kind}`]);
    assert.deepEqual(await consult('consult'), { result: null });
    await john.answer();
    await desk.getByTestId('consult-panel').waitFor();
    await john.consultPanel().waitFor();
    assert.deepEqual(await page.evaluate((id) => window.call('collaboration.endConsultation', { interaction: id }), interaction), { result: null });
    await john.consultPanel().getByText('Kate ended the consultation').waitFor();
    await john.page.getByTestId('consult-done').click();
    await john.tabs().waitFor({ state: 'detached' });
    assert.deepEqual(await consult('transfer'), { result: null });
    await john.answer();
    await john.transcript().getByText('Where is my parcel?').waitFor();
    // Handed over, the chat leaves Kate's desktop, and the CRM hears so.
    await page.waitForFunction((id) => window.events.some((e) => e.name === 'closed' && e.data.interaction === id), interaction);
    await desk.getByTestId('interaction-tab').waitFor({ state: 'detached' });
    await shot(page, 'transferred');

    // Signing out in the frame is an event too; the page can still ask who is signed in.
    await desk.getByTestId('logout').click();
    await page.waitForFunction(() => window.events.some((e) => e.name === 'signedOut'));
    const after = await page.evaluate(() => window.call('agent.getState', {}));
    assert.equal(after.result.signedIn, false);

    // A page of an origin the server does not list: the desktop answers none of its messages.
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${stranger.url}/`);
    const refused = await other.evaluate(() => window.connectParley(2000).then(() => 'answered', (e) => e.code));
    assert.equal(refused, 'timeout');
    // Nor when it opens the desktop in a pop-up instead; a listed page is answered there too.
    assert.equal(await other.evaluate((url) => window.popupHello(url, 4000), `${server.url}/`), 'no answer');
    const listed = await page.evaluate((url) => window.popupHello(url, 8000), `${server.url}/`);
    assert.equal(listed.version, 1, JSON.stringify(listed));
  } finally {
    await browser.close();
    crm.close();
    stranger.close();
    await server.kill().catch(() => {});
  }
});

test('a CRM that signed the agent in opens the desktop with a one-time token, no password', { timeout: 60_000 }, async () => {
  // An API key for the CRM's server, as `parley-server api-key` makes one.
  const key = `pk_${randomBytes(32).toString('hex')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const demo = readFileSync(join(ROOT, 'config/demo.toml'), 'utf8')
    .replaceAll('attachment = "', `attachment = "${join(ROOT, 'config')}/`);
  const config = join(scratchDir('parley-sign-in-'), 'parley.toml');
  writeFileSync(config, `${demo}
[[api_keys]]
name = "crm"
key_hashes = ["${hash}"]
scopes = ["agents.sign_in"]
`);
  const server = await Server.start(config);
  const browser = await launchBrowser();
  try {
    const signIn = async () => {
      const answer = await fetch(`${server.url}/api/v1/agents/john/sign-in`, {
        method: 'POST', headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(answer.status, 201);
      return (await answer.json()).token;
    };
    const token = await signIn();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/#sign_in=${token}`);
    await page.getByTestId('connection-state').and(page.locator('[data-state=online]')).waitFor();
    assert.match(await page.locator('.pl-desktop').textContent(), /John Davis/);
    assert.ok(!page.url().includes(token), 'the token leaves the address');

    // The same link a second time signs nobody in: the password form says why.
    const again = await (await browser.newContext()).newPage();
    await again.goto(`${server.url}/#sign_in=${token}`);
    await again.getByTestId('login-error').filter({ hasText: 'used or has expired' }).waitFor();
    await again.getByTestId('login-username').waitFor();
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
});
