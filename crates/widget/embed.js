// Parley chat for any website: one tag,
//   <script src="https://chat.example.com/chat/embed.js" data-queue="billing" async></script>
// adds a "Chat with us" button that opens the chat in an iframe. The pages the visitor views on
// the site (title, address, time) are remembered in this site's storage and handed to the chat,
// so the agent sees the visitor's journey. Options (data attributes on the tag):
//   data-queue  the queue the chats go to (default: the server's default queue)
//   data-label  the button's text (default "Chat with us")
//   data-identity  the signed-in visitor's identity, a JWT the site signs on its server (see
//                  docs/api.md): the agent sees the e-mail as verified, with earlier chats
//   data-handle  the handle of a chat the site started for the visitor (`POST /api/v1/chats`)
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__parleyChat) return;
  window.__parleyChat = true;

  var JOURNEY_KEY = 'parley.journey';
  // What brings the chat back after a reload lives in this site's storage (browsers may refuse
  // storage to the iframe): an opaque handle the chat exchanges with its server, never the
  // chat's token, which any script of this site could read here. The server forgets the handle
  // when the chat is over.
  var HANDLE_KEY = 'parley.handle';
  var JOURNEY_PAGES = 10;
  var chatUrl = new URL('./', script.src);

  function cut(text, max) {
    text = String(text || '');
    return text.length > max ? text.slice(0, max - 1) + '\u2026' : text;
  }

  // The visitor's journey: the latest pages viewed on this site, this one last.
  var journey = [];
  try {
    journey = JSON.parse(localStorage.getItem(JOURNEY_KEY) || '[]');
    if (!Array.isArray(journey)) journey = [];
  } catch (e) {
    journey = [];
  }
  journey.push({ title: cut(document.title, 120), url: cut(location.href, 300), at: Date.now() });
  journey = journey.slice(-JOURNEY_PAGES);
  try {
    localStorage.setItem(JOURNEY_KEY, JSON.stringify(journey));
    // Older versions kept the chat's token itself here.
    localStorage.removeItem('parley.session');
  } catch (e) {
    /* storage off: the journey is this page only */
  }

  var style = document.createElement('style');
  style.textContent =
    '.parley-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;' +
    'padding:12px 18px;font:600 15px/1 system-ui,sans-serif;background:#2457c5;color:#fff;cursor:pointer;' +
    'box-shadow:0 4px 16px rgba(0,0,0,.2)}' +
    '.parley-launcher:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}' +
    '.parley-frame{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 40px));' +
    'height:min(600px,calc(100vh - 100px));border:1px solid #d9dee5;border-radius:10px;background:#fff;' +
    'box-shadow:0 8px 32px rgba(0,0,0,.25)}' +
    '.parley-frame[hidden]{display:none}';
  document.head.appendChild(style);

  var button = document.createElement('button');
  button.type = 'button';
  button.className = 'parley-launcher';
  button.textContent = script.getAttribute('data-label') || 'Chat with us';
  button.setAttribute('data-testid', 'widget-launcher');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'parley-chat-frame');

  var frame = null;
  function open() {
    if (!frame) {
      // The chat posts to this page's exact origin only (its session above all).
      var params = new URLSearchParams({ embedded: '1', host: location.origin });
      var queue = script.getAttribute('data-queue');
      if (queue) params.set('queue', queue);
      frame = document.createElement('iframe');
      frame.id = 'parley-chat-frame';
      frame.className = 'parley-frame';
      frame.title = 'Chat';
      frame.setAttribute('data-testid', 'widget-frame');
      // The journey travels in the fragment: it never reaches a server log. The session never
      // travels in the address (a link could carry someone else's): the chat asks for it.
      var fragment = 'journey=' + encodeURIComponent(JSON.stringify(journey));
      // A site that knows its visitor vouches for them with a signed identity (a JWT it makes
      // on its server); it is checked by Parley's server, never trusted here.
      var identity = script.getAttribute('data-identity');
      if (identity) fragment += '&identity=' + encodeURIComponent(identity);
      frame.src = chatUrl.href + '?' + params + '#' + fragment;
      document.body.appendChild(frame);
    } else {
      frame.hidden = false;
    }
    button.setAttribute('aria-expanded', 'true');
    frame.focus();
  }
  function close() {
    if (frame) frame.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
  button.addEventListener('click', function () {
    if (button.getAttribute('aria-expanded') === 'true') close();
    else open();
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') close();
  });
  // From the chat: Escape asks to close it; a loaded chat asks for the handle this site keeps
  // (`parley:ready`), posted to the chat's exact origin; a started chat hands over its handle,
  // a finished one `null`.
  var given = script.getAttribute('data-handle');
  var offered = null;
  window.addEventListener('message', function (e) {
    if (e.origin !== chatUrl.origin || !frame || e.source !== frame.contentWindow) return;
    if (e.data === 'parley:close') close();
    else if (e.data === 'parley:ready') {
      var handle = null;
      try {
        handle = localStorage.getItem(HANDLE_KEY);
      } catch (err) {
        handle = null;
      }
      offered = handle || given;
      if (offered) frame.contentWindow.postMessage({ type: 'parley:handle', handle: offered }, chatUrl.origin);
    } else if (e.data && e.data.type === 'parley:handle') {
      // The stored handle was refused: the site's own, when it gave another, is tried next.
      if (e.data.handle === null && given && offered !== given) {
        offered = given;
        frame.contentWindow.postMessage({ type: 'parley:handle', handle: given }, chatUrl.origin);
      }
      given = null;
      try {
        if (typeof e.data.handle === 'string') localStorage.setItem(HANDLE_KEY, e.data.handle);
        else localStorage.removeItem(HANDLE_KEY);
      } catch (err) {
        /* storage off: the chat lasts as long as the page */
      }
    }
  });

  function mount() {
    document.body.appendChild(button);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
