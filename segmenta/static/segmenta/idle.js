// Automatic logoff on screen. Typing and tapping count as activity: they refresh the
// server session (at most once a minute) so a long note is not lost. After the idle time
// with no activity the page reloads, the server ends the session, and patient data leaves
// the screen of an unattended tablet.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var aliveUrl = body.getAttribute("data-alive-url");
  if (!seconds) { return; }
  var timer = null;
  var lastPing = Date.now();

  function arm() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.reload(); }, (seconds + 2) * 1000);
  }

  function activity() {
    var now = Date.now();
    if (!aliveUrl || now - lastPing < Math.min(60, seconds / 2) * 1000) { return; }
    lastPing = now;
    window.fetch(aliveUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.ok) { arm(); } else { window.location.reload(); }
    });
  }

  ["keydown", "pointerdown"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true });
  });
  arm();
})();
