// The Parley desktop host API: what a CRM page that frames the agent desktop uses to see what
// happens in it and to drive it. An ES module, served by every Parley server at
// /embed/parley-desktop.js, typed by parley-desktop.d.ts.
//
//   import { ParleyDesktop } from 'https://chat.example.com/embed/parley-desktop.js';
//   const parley = await ParleyDesktop.connect(document.querySelector('iframe#parley'));
//   parley.on('offered', ({ interaction }) => openCustomerRecord(interaction.email));
//   await parley.request('agent.setStatus', { status: 'ready' });
//
// Messages travel by postMessage to the desktop's exact origin (never '*'), and only messages
// from that origin and that frame are read. The server lets a page frame the desktop only when
// its origin is configured (`[[embed.hosts]]`), with the scopes it may use; a request outside
// them is refused with the error `forbidden`.

/** The message envelope's version. */
export const VERSION = 1;

/** A refused or failed request: `code` is one of the documented error codes. */
export class ParleyError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ParleyError';
    this.code = code;
  }
}

/** What one page keeps of one desktop: the cursor of its events and a token to sign in again. */
function remembered(origin) {
  const key = `parley.desktop@${origin}`;
  let store = null;
  try {
    store = window.sessionStorage;
  } catch {
    // Storage blocked: the page still works, only a reload starts afresh.
  }
  const read = () => {
    try {
      return JSON.parse(store?.getItem(key) || '{}') || {};
    } catch {
      return {};
    }
  };
  const write = (change) => {
    try {
      store?.setItem(key, JSON.stringify({ ...read(), ...change }));
    } catch {
      // As above.
    }
  };
  return { read, write };
}

export class ParleyDesktop {
  /**
   * Waits until the desktop in `frame` answers (it may still be loading), then resolves with a
   * connected instance. `origin` defaults to the origin of the frame's `src`. After a reload of
   * this page or of the frame, the desktop tells this page what it missed, and signs the agent
   * in again without a prompt while the session lives.
   */
  static async connect(frame, { origin, timeoutMs = 10000 } = {}) {
    const desktop = new ParleyDesktop(frame, { origin, timeoutMs });
    try {
      await desktop.greet(timeoutMs);
    } catch (e) {
      desktop.close();
      throw e;
    }
    // A reloaded frame is a new desktop: greet it again with what this page heard last.
    desktop.onLoad = () => desktop.greet(timeoutMs).catch((e) => console.error('parley: the reloaded desktop did not answer', e));
    frame.addEventListener('load', desktop.onLoad);
    return desktop;
  }

  constructor(frame, { origin, timeoutMs = 10000 } = {}) {
    this.frame = frame;
    this.origin = origin || new URL(frame.src, location.href).origin;
    this.timeoutMs = timeoutMs;
    this.hello = null;
    this.pending = new Map();
    this.handlers = new Map();
    this.answers = new Map();
    this.interceptors = new Map();
    this.memory = remembered(this.origin);
    this.next = 1;
    this.listener = (event) => this.receive(event);
    window.addEventListener('message', this.listener);
  }

  /** Says hello until the desktop answers, then tells it what this page answers for. */
  async greet(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { cursor, resume } = this.memory.read();
      try {
        this.hello = await this.request('hello', { cursor, resume }, { timeoutMs: 500 });
        break;
      } catch (e) {
        if (!(e instanceof ParleyError) || e.code !== 'timeout' || Date.now() > deadline) throw e;
      }
    }
    if (this.answers.size || this.interceptors.size) await this.register();
    return this.hello;
  }

  /** Calls a method; resolves with its result, or rejects with a ParleyError. */
  request(method, params = {}, { timeoutMs = this.timeoutMs } = {}) {
    const id = `r${this.next++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ParleyError('timeout', `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.post({ parley: VERSION, kind: 'request', id, method, params })) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ParleyError('unavailable', 'the desktop frame is not in the page'));
      }
    });
  }

  /** Calls `handler(data, position)` for each event of this name; returns a function that stops. */
  on(event, handler) {
    const list = this.handlers.get(event) || [];
    list.push(handler);
    this.handlers.set(event, list);
    return () => this.handlers.set(event, (this.handlers.get(event) || []).filter((h) => h !== handler));
  }

  /**
   * Answers the desktop's questions: `contactSearch` (a chat's contact, to find their record:
   * resolve with `{ record: { label, url } }` or `{ record: null }`).
   */
  handle(question, handler) {
    this.answers.set(question, handler);
    return this.register();
  }

  /**
   * Lets `handler` allow, amend or refuse an action before it happens: `markDone` or
   * `transfer`. It resolves with `{ allow: true, caseData? }` or `{ allow: false, message }`;
   * without an answer within `timeoutMs`, the desktop does what `onTimeout` says.
   */
  intercept(action, handler, { onTimeout = 'refuse', timeoutMs = 10000 } = {}) {
    this.interceptors.set(action, { handler, onTimeout, timeoutMs });
    return this.register();
  }

  /** Sets the desktop's CSS custom properties (`--pl-…`). */
  setTheme(properties) {
    return this.request('ui.setTheme', { properties });
  }

  /** Asks the desktop to speak `locale`. */
  setLocale(locale) {
    return this.request('ui.setLocale', { locale });
  }

  register() {
    const interceptors = [...this.interceptors].map(([action, i]) => ({ action, onTimeout: i.onTimeout, timeoutMs: i.timeoutMs }));
    return this.request('host.register', { contactSearch: this.answers.has('contactSearch'), interceptors });
  }

  /** Stops listening; pending requests are refused. */
  close() {
    window.removeEventListener('message', this.listener);
    if (this.onLoad) this.frame.removeEventListener('load', this.onLoad);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ParleyError('closed', 'the connection to the desktop was closed'));
    }
    this.pending.clear();
  }

  post(message) {
    const target = this.frame.contentWindow;
    if (!target) return false;
    target.postMessage(message, this.origin);
    return true;
  }

  receive(event) {
    if (event.origin !== this.origin || event.source !== this.frame.contentWindow) return;
    const m = event.data;
    if (!m || typeof m !== 'object' || m.parley !== VERSION) return;
    if (m.kind === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error) p.reject(new ParleyError(m.error.code, m.error.message));
      else p.resolve(m.result);
    } else if (m.kind === 'events' && Array.isArray(m.events)) {
      for (const e of m.events) {
        if (e.event === 'signedOut') this.memory.write({ resume: undefined });
        for (const handler of this.handlers.get(e.event) || []) {
          try {
            handler(e.data, e.position);
          } catch (err) {
            console.error('parley: an event handler failed', err);
          }
        }
      }
      // Heard: after a reload, the desktop goes on from here.
      if (typeof m.cursor === 'string') this.memory.write({ cursor: m.cursor });
    } else if (m.kind === 'session' && typeof m.resume === 'string') {
      this.memory.write({ resume: m.resume });
    } else if (m.kind === 'request') {
      this.answer(m);
    }
  }

  /** Answers a question of the desktop with the page's handler. */
  async answer({ id, method, params }) {
    const reply = (body) => this.post({ parley: VERSION, kind: 'reply', id, ...body });
    const handler = method === 'intercept'
      ? this.interceptors.get(params?.action)?.handler
      : this.answers.get(method);
    if (!handler) {
      reply({ error: { code: 'unknown_method', message: `this page does not answer ${method}` } });
      return;
    }
    try {
      reply({ result: (await handler(params)) ?? null });
    } catch (e) {
      reply({ error: { code: 'failed', message: String(e?.message ?? e) } });
    }
  }
}
