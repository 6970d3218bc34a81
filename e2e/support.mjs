// Shared end-to-end helpers: start the real server on a free loopback port, launch Debian's
// Chromium through playwright-core, and keep a screenshot of every step.
import { createHmac } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..');
const SERVER_BIN = process.env.PARLEY_SERVER_BIN ?? join(ROOT, 'target/debug/parley-server');
export const ARTIFACTS = process.env.PARLEY_ARTIFACTS ?? join(ROOT, 'target/e2e-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const running = new Set();
const scratch = new Set();
process.on('exit', () => {
  running.forEach((p) => p.kill('SIGKILL'));
  scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** A fresh directory under the system's temporary one, removed when the process exits. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.add(dir);
  return dir;
}

/** A server process on a fixed port and database, which can be killed and started again. */
export class Server {
  constructor(port, db, config = 'config/demo.toml') {
    this.port = port;
    this.config = config;
    this.db = db ?? join(scratchDir('parley-e2e-'), 'parley.db');
    this.url = `http://127.0.0.1:${port}`;
    // The widget's own origin (`widget_host` in the demo configuration): same port, its name.
    this.widgetUrl = `http://localhost:${port}`;
  }

  static async start(config) {
    const server = new Server(await freePort(), undefined, config);
    await server.start();
    return server;
  }

  start() {
    const args = ['--config', this.config, '--db', this.db, '--addr', `127.0.0.1:${this.port}`];
    this.proc = spawn(SERVER_BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    running.add(this.proc);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('server did not start within 20 s')), 20_000);
      this.proc.once('error', fail);
      this.proc.stdout.on('data', (chunk) => {
        if (String(chunk).includes('listening on')) {
          clearTimeout(timer);
          ok();
        }
      });
    });
  }

  /** SIGKILL: nothing gets a chance to flush. */
  async kill() {
    const exited = new Promise((ok) => this.proc.once('exit', ok));
    this.proc.kill('SIGKILL');
    await exited;
    running.delete(this.proc);
  }
}

/**
 * Chromium, watched for Content-Security-Policy refusals: the apps run under the server's real
 * headers, and the test that launched it fails if any page (or frame) had something refused.
 */
export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic',
    ],
  });
  const refused = [];
  // Refused framing is left out: tests frame the desktop from unlisted pages on purpose, and
  // a listed page that could not frame it fails its own assertions.
  const watch = (page) => page.on('console', (m) => {
    const text = m.text();
    if (m.type() === 'error' && /Content Security Policy/i.test(text) && !/frame-ancestors/.test(text)) {
      refused.push(`${page.url()}: ${text}`);
    }
  });
  // `browser.newPage` makes its context through `newContext` too.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('page', watch);
    return context;
  };
  // Checked once the test (and its clean-up) has finished: the test calling this fails.
  after(() => assert.deepEqual(refused, [], 'the Content-Security-Policy refused something'));
  return browser;
}

/** Numbered screenshots for one test: `<test>-01-<step>.png`. */
export function shooter(testName) {
  let n = 0;
  return async (page, step) => {
    n += 1;
    const file = join(ARTIFACTS, `${testName}-${String(n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file, fullPage: true });
  };
}

/** The agent desktop, as a page object. */
export class AgentDesk {
  constructor(page) {
    this.page = page;
  }

  /** `locale`, `colorScheme`, `viewport`: the agent's browser's language, theme and size. */
  static async open(browser, server, user, { locale, colorScheme, viewport } = {}) {
    const context = await browser.newContext({ ...(locale && { locale }), ...(colorScheme && { colorScheme }), ...(viewport && { viewport }) });
    const desk = new AgentDesk(await context.newPage());
    await desk.page.goto(`${server.url}/`);
    await desk.page.getByTestId('login-username').fill(user);
    await desk.page.getByTestId('login-password').fill(`${user}-demo`);
    await desk.page.getByTestId('login-submit').click();
    await desk.page.getByTestId('connection-state').and(desk.page.locator('[data-state=online]')).waitFor();
    return desk;
  }

  async setStatus(value) {
    await this.page.getByTestId('status-select').selectOption(value);
  }

  preview() {
    return this.page.getByTestId('preview');
  }

  transcript() {
    return this.page.getByTestId('transcript');
  }

  async send(text) {
    await this.page.getByTestId('composer-input').fill(text);
    await this.page.getByTestId('composer-input').press('Enter');
  }

  /** Waits for the first Interaction Preview and accepts (or rejects) it. */
  async answer(accept = true) {
    await this.preview().first().waitFor();
    await this.page.getByTestId(accept ? 'preview-accept' : 'preview-reject').first().click();
  }

  /** Opens the Team Communicator from a toolbar button: consult, transfer or conference. */
  async openTeam(button) {
    await this.page.getByTestId(`chat-${button}`).click();
    await this.page.getByTestId('tc-search').waitFor();
  }

  /** A Team Communicator entry. */
  target(kind, id) {
    return this.page.locator(`[data-testid=tc-result][data-kind=${kind}][data-id="${id}"]`);
  }

  /** Chooses an action (consult, transfer, conference) from a target's Action menu. */
  async act(kind, id, action) {
    const entry = this.target(kind, id);
    await entry.getByTestId('tc-action-menu').click();
    await entry.getByTestId(`tc-action-${action}`).click();
    await this.page.getByTestId('team-communicator').waitFor({ state: 'detached' });
  }

  /** The party list entry of a party (`contact` or an agent id). */
  party(id) {
    return this.page.locator(`[data-testid=party][data-id="${id}"]`);
  }

  consultPanel() {
    return this.page.getByTestId('consult-panel');
  }

  async consultSend(text) {
    await this.page.getByTestId('consult-input').fill(text);
    await this.page.getByTestId('consult-input').press('Enter');
  }

  tabs() {
    return this.page.getByTestId('interaction-tab');
  }
}

/** The contact's widget, as a page object. */
export class ContactWidget {
  constructor(page) {
    this.page = page;
  }

  /** Starts a chat; `email` fills the pre-chat form's e-mail, `queue` picks the queue. */
  /** `identity`: a signed identity (see `identity()`), as a site's `data-identity` gives it. */
  /** `locale`, `viewport`: the contact's browser's language (`de-DE`) and size. */
  static async open(browser, server, name, firstMessage, { email, queue, identity, locale, viewport } = {}) {
    const context = await browser.newContext({ ...(locale && { locale }), ...(viewport && { viewport }) });
    const widget = new ContactWidget(await context.newPage());
    const query = queue ? `?queue=${encodeURIComponent(queue)}` : '';
    const fragment = identity ? `#identity=${encodeURIComponent(identity)}` : '';
    await widget.page.goto(`${server.widgetUrl}/chat/${query}${fragment}`);
    await widget.page.getByTestId('widget-name').fill(name);
    if (email) await widget.page.getByTestId('widget-email').fill(email);
    await widget.page.getByTestId('widget-first-message').fill(firstMessage);
    await widget.page.getByTestId('widget-start').click();
    return widget;
  }

  transcript() {
    return this.page.getByTestId('widget-transcript');
  }

  async send(text) {
    await this.page.getByTestId('widget-input').fill(text);
    await this.page.getByTestId('widget-send').click();
  }
}

/** A visitor's identity signed as the demo configuration's site would (HS256, `[identity]`). */
export function identity(email, secs = 300) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = part({ alg: 'HS256', typ: 'JWT' });
  const body = part({ sub: email, email, aud: 'parley', exp: Math.floor(Date.now() / 1000) + secs });
  const signature = createHmac('sha256', 'demo-identity-secret-for-this-machine-only')
    .update(`${head}.${body}`)
    .digest('base64url');
  return `${head}.${body}.${signature}`;
}

/**
 * What axe-core (every rule, nothing excluded) finds wrong on the page now: one line per rule
 * broken, naming the elements. Evaluated through the browser's debugging protocol, which the
 * page's Content-Security-Policy does not govern.
 */
export async function accessibilityViolations(page) {
  const source = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const { violations } = await page.evaluate(() => globalThis.axe.run(document));
  return violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}


/**
 * A chat taken, for the tests that start from one: a server (with `config`), a browser, Mark
 * Avram's widget opened with `text` (and the `contact` options of `ContactWidget.open`), and
 * Kate's desktop, which accepted it. `run({ server, browser, mark, kate })` goes on from there;
 * the browser and the server stop after it, whatever happens.
 */
export async function withChat(run, { config, text = 'Hello', contact } = {}) {
  const server = await Server.start(config);
  const browser = await launchBrowser();
  try {
    const mark = await ContactWidget.open(browser, server, 'Mark Avram', text, contact);
    const kate = await AgentDesk.open(browser, server, 'kate');
    await kate.setStatus('ready');
    await kate.answer();
    return await run({ server, browser, mark, kate });
  } finally {
    await browser.close();
    await server.kill().catch(() => {});
  }
}
