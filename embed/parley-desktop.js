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

export class ParleyDesktop {
  /**
   * Waits until the desktop in `frame` answers (it may still be loading), then resolves with a
   * connected instance. `origin` defaults to the origin of the frame's `src`.
   */
  static async connect(frame, { origin, timeoutMs = 10000 } = {}) {
    const desktop = new ParleyDesktop(frame, { origin, timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        desktop.hello = await desktop.request('hello', {}, { timeoutMs: 500 });
        return desktop;
      } catch (e) {
        if (!(e instanceof ParleyError) || e.code !== 'timeout' || Date.now() > deadline) {
          desktop.close();
          throw e;
        }
      }
    }
  }

  constructor(frame, { origin, timeoutMs = 10000 } = {}) {
    this.frame = frame;
    this.origin = origin || new URL(frame.src, location.href).origin;
    this.timeoutMs = timeoutMs;
    this.hello = null;
    this.pending = new Map();
    this.handlers = new Map();
    this.next = 1;
    this.listener = (event) => this.receive(event);
    window.addEventListener('message', this.listener);
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
      const target = this.frame.contentWindow;
      if (!target) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ParleyError('unavailable', 'the desktop frame is not in the page'));
        return;
      }
      target.postMessage({ parley: VERSION, kind: 'request', id, method, params }, this.origin);
    });
  }

  /** Calls `handler(data, position)` for each event of this name; returns a function that stops. */
  on(event, handler) {
    const list = this.handlers.get(event) || [];
    list.push(handler);
    this.handlers.set(event, list);
    return () => this.handlers.set(event, (this.handlers.get(event) || []).filter((h) => h !== handler));
  }

  /** Stops listening; pending requests are refused. */
  close() {
    window.removeEventListener('message', this.listener);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ParleyError('closed', 'the connection to the desktop was closed'));
    }
    this.pending.clear();
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
    } else if (m.kind === 'event') {
      for (const handler of this.handlers.get(m.event) || []) {
        try {
          handler(m.data, m.position);
        } catch (e) {
          console.error('parley: an event handler failed', e);
        }
      }
    }
  }
}
