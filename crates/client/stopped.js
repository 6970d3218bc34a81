// "Parley stopped working: reload" when the WebAssembly traps (a panic under panic = "abort").
// Why a plain script, and why so terse: docs/decisions/0001-stopped-page-in-plain-script.md
(function () {
  function stopped(error) {
    if (!(error instanceof WebAssembly.RuntimeError) || document.getElementById("pl-stopped")) return;
    var box = document.createElement("div");
    box.id = "pl-stopped";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("data-testid", "stopped");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;display:grid;place-content:center;gap:1em;background:#fff;color:#111;font:16px system-ui";
    box.innerHTML = '<p>Parley stopped working: reload</p><button data-testid="stopped-reload" onclick="location.reload()">Reload</button>';
    document.body.append(box);
    box.lastChild.focus();
  }
  addEventListener("error", function (e) { stopped(e.error); });
  addEventListener("unhandledrejection", function (e) { stopped(e.reason); });
})();
