// On a phone the main menu is one sideways-scrolling row: bring the current section into
// view, so "Audit trail" or the user's name is not hidden past the edge on its own page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".topbar nav");
    var current = nav && nav.querySelector('a[aria-current="page"]');
    if (!current || nav.scrollWidth <= nav.clientWidth) { return; }
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  });
})();
