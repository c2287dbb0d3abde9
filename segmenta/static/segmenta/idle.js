// Automatic logoff on screen: when the idle time is over, reload the page so that the
// server ends the session and patient data leaves the screen of an unattended tablet.
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-idle-seconds") || "0", 10);
  if (!seconds) { return; }
  var timer = null;
  function arm() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.reload(); }, (seconds + 2) * 1000);
  }
  // Only server requests count as activity; typing in a form does not keep a session
  // alive, but the page re-arms whenever it is (re)loaded.
  arm();
})();
