// "Parley stopped working: reload" when the WebAssembly traps (a panic under panic = "abort").
// Why a plain script, and why so terse: docs/decisions/0001-stopped-page-in-plain-script.md.
// Built node by node with a listener: the Content-Security-Policy refuses inline handlers.
(function () {
  function stopped(error) {
    if (!(error instanceof WebAssembly.RuntimeError) || document.getElementById("pl-stopped")) return;
    var box = document.createElement("div");
    box.id = "pl-stopped";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("data-testid", "stopped");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:grid;place-content:center;gap:1em;background:#fff;color:#111;font:16px system-ui";
    var text = document.createElement("p");
    text.textContent = "Parley stopped working: reload";
    var button = document.createElement("button");
    button.setAttribute("data-testid", "stopped-reload");
    button.textContent = "Reload";
    button.addEventListener("click", function () { location.reload(); });
    box.append(text, button);
    document.body.append(box);
    button.focus();
  }
  addEventListener("error", function (e) { stopped(e.error); });
  addEventListener("unhandledrejection", function (e) { stopped(e.reason); });
})();
