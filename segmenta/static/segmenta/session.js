// The session page's injection entry: the body map as one keyboard stop, a product that
// fills in its drug and strength, and keyboard focus that survives the live verdict's redraw.
// Everything here is an aid: without it the form still posts and the server checks it all.
(function () {
  "use strict";
  var form = document.querySelector("#add-injection form");
  if (!form) { return; }

  // --- The page opens ready for the next injection, the safety strip still in view.
  var first = form.querySelector("[data-focus-first]");
  if (first && (!location.hash || location.hash === "#add-injection") && (!document.activeElement || document.activeElement === document.body)) {
    first.focus({ preventScroll: true });
  }

  // --- Body map: one Tab stop; arrows, Home/End and typed first letters move, Space or
  // Enter picks (chart.js toggles); a pick counts as a change, so the verdict follows it.
  var map = form.querySelector(".bodymap.selectable");
  if (map) {
    var segments = Array.prototype.slice.call(map.querySelectorAll("path[data-choir]"));
    var input = document.getElementById(map.getAttribute("data-input"));
    var typed = "";
    var typedAt = 0;
    var stop = function (seg) {
      segments.forEach(function (s) { s.setAttribute("tabindex", s === seg ? "0" : "-1"); });
    };
    var label = function (seg) { return (seg.getAttribute("aria-label") || "").toLowerCase(); };
    var find = function (from, text) {
      for (var k = 0; k < segments.length; k += 1) {
        var seg = segments[(from + k) % segments.length];
        if (label(seg).indexOf(text) === 0) { return seg; }
      }
      return null;
    };
    var changed = function () {
      if (input) { input.dispatchEvent(new Event("change", { bubbles: true })); }
    };
    stop(map.querySelector("path.selected") || segments[0]);
    map.addEventListener("focusin", function (event) {
      var seg = event.target.closest("path[data-choir]");
      if (seg) { stop(seg); }
    });
    map.addEventListener("click", function (event) {
      if (event.target.closest("path[data-choir]")) { changed(); }
    });
    map.addEventListener("keydown", function (event) {
      var seg = event.target.closest("path[data-choir]");
      if (!seg || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var at = segments.indexOf(seg);
      var next = null;
      if (event.key === "Enter" || event.key === " ") { changed(); return; }
      if (event.key === "ArrowRight" || event.key === "ArrowDown") { next = segments[(at + 1) % segments.length]; }
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
        next = segments[(at - 1 + segments.length) % segments.length];
      }
      else if (event.key === "Home") { next = segments[0]; }
      else if (event.key === "End") { next = segments[segments.length - 1]; }
      else if (event.key.length === 1 && event.key !== " ") {
        var now = Date.now();
        typed = (now - typedAt > 900 ? "" : typed) + event.key.toLowerCase();
        typedAt = now;
        // A first letter moves on to the next match; more letters refine the current one.
        next = find(typed.length === 1 ? at + 1 : at, typed);
      }
      if (next) {
        event.preventDefault();
        stop(next);
        next.focus();
      }
    });
  }

  // --- A product fills in its drug and strength and locks them (not sent: the server
  // takes them from the product); no product unlocks them for typing.
  var product = form.querySelector("select[name$='-product']");
  var drug = form.querySelector("select[name$='-drug']");
  var strength = form.querySelector("input[name$='-concentration_percent']");
  if (product && drug && strength) {
    var apply = function () {
      var option = product.options[product.selectedIndex];
      var code = option ? option.getAttribute("data-drug") : null;
      if (code) {
        drug.value = code;
        strength.value = option.getAttribute("data-concentration-text") || option.getAttribute("data-concentration");
        drug.disabled = strength.disabled = true;
      } else if (drug.disabled) {
        drug.disabled = strength.disabled = false;
        drug.value = "";
        strength.value = "";
      }
    };
    product.addEventListener("change", apply);
    apply();
  }

  // --- The lots in stock: only the picked product's are offered, and the one expiring
  // first (the first listed) is proposed. Without a product every lot shows.
  var stockLot = form.querySelector("select[name$='-stock_lot']");
  if (product && stockLot) {
    var showLots = function (propose) {
      var chosen = product.value;
      var first = null;
      Array.prototype.forEach.call(stockLot.options, function (option) {
        var of = option.getAttribute("data-product");
        var hidden = Boolean(of && chosen && of !== chosen);
        option.hidden = option.disabled = hidden;
        if (!hidden && of && first === null) {
          first = option;
        }
      });
      var current = stockLot.options[stockLot.selectedIndex];
      if (propose || (current && current.disabled)) {
        stockLot.value = first && chosen ? first.value : "";
      }
    };
    product.addEventListener("change", function () { showLots(true); });
    showLots(false);
  }

  // --- The live verdict is redrawn around the keyboard: whoever had focus in it keeps it.
  var kept = null;
  var inVerdict = function (element) {
    return ["verdict", "verdict-detail"].some(function (id) {
      var part = document.getElementById(id);
      return part && element && part.contains(element);
    });
  };
  document.body.addEventListener("htmx:beforeSwap", function () {
    // Two answers may land close together: the first one's restore must not be forgotten.
    var active = document.activeElement;
    if (inVerdict(active)) { kept = { id: active.id, value: active.value }; }
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    if (!kept) { return; }
    var verdict = document.getElementById("verdict");
    var again = kept.id ? document.getElementById(kept.id) : null;
    if (!again && verdict) {
      again = verdict.querySelector("button[name=action][value='" + kept.value + "']") ||
        verdict.querySelector("button[name=action][value=check]");
    }
    kept = null;
    if (again && document.activeElement !== again) { again.focus(); }
  });
})();
