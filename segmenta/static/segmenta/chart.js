// Chart forms: pick body-map segments, pick a tooth, sign on screen; the body map names
// the segment pointed at or focused.
// Each widget writes into a plain form input, so the server sees an ordinary form.
(function () {
  "use strict";

  // --- Body map: segments toggle; the hidden input holds [{"choir": N, "side": "..."}]
  document.querySelectorAll(".bodymap.selectable").forEach(function (map) {
    var input = document.getElementById(map.getAttribute("data-input"));
    if (!input) { return; }
    function write() {
      var chosen = [];
      map.querySelectorAll("path.selected").forEach(function (seg) {
        chosen.push({ choir: parseInt(seg.getAttribute("data-choir"), 10), side: seg.getAttribute("data-side") });
      });
      input.value = JSON.stringify(chosen);
    }
    function toggle(seg) {
      var on = !seg.classList.contains("selected");
      seg.classList.toggle("selected", on);
      seg.setAttribute("aria-checked", on ? "true" : "false");
      write();
    }
    map.addEventListener("click", function (event) {
      var seg = event.target.closest("path[data-choir]");
      if (seg) { toggle(seg); }
    });
    map.addEventListener("keydown", function (event) {
      var seg = event.target.closest("path[data-choir]");
      if (seg && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        toggle(seg);
      }
    });
  });

  // --- The chart's body map: one Tab stop; the arrow keys, Home and End move between its
  // segments (each a link to a new history item there), so Tab reaches the rest of the page.
  document.querySelectorAll(".bodymap.linked").forEach(function (map) {
    var links = Array.prototype.slice.call(map.querySelectorAll("a.seg-link"));
    if (!links.length) { return; }
    links.forEach(function (link, index) { link.setAttribute("tabindex", index === 0 ? "0" : "-1"); });
    map.addEventListener("keydown", function (event) {
      var link = event.target.closest("a.seg-link");
      if (!link) { return; }
      var index = links.indexOf(link);
      var next = {
        ArrowRight: links[index + 1], ArrowDown: links[index + 1],
        ArrowLeft: links[index - 1], ArrowUp: links[index - 1],
        Home: links[0], End: links[links.length - 1]
      }[event.key];
      if (!next) { return; }
      event.preventDefault();
      link.setAttribute("tabindex", "-1");
      next.setAttribute("tabindex", "0");
      next.focus();
    });
  });

  // --- Body map labels: the segment pointed at or focused is named beside the map
  document.querySelectorAll(".bodymap[data-label-area]").forEach(function (map) {
    var area = document.getElementById(map.getAttribute("data-label-area"));
    if (!area) { return; }
    var idle = area.textContent;
    function segmentOf(element) {
      if (!element || !element.closest) { return null; }
      return element.closest("path[data-choir]") || (element.querySelector ? element.querySelector("path[data-choir]") : null);
    }
    function resting() {
      if (!map.classList.contains("selectable")) { return idle; }
      var names = [];
      map.querySelectorAll("path.selected").forEach(function (seg) { names.push(seg.getAttribute("data-label")); });
      return names.length ? area.getAttribute("data-selected-prefix") + " " + names.join("; ") : area.getAttribute("data-none");
    }
    function show(seg) {
      var name = document.createElement("strong");
      name.textContent = seg.getAttribute("data-label");
      var info = seg.getAttribute("data-info");
      var hint = area.getAttribute("data-hint");
      var more = (info ? " — " + info : "") + (hint ? ". " + hint : "");
      area.textContent = "";
      area.appendChild(name);
      area.appendChild(document.createTextNode(more));
      area.classList.add("active");
    }
    function rest() {
      var focused = segmentOf(map.querySelector(":focus"));
      if (focused) { show(focused); return; }
      area.textContent = resting();
      area.classList.remove("active");
    }
    map.addEventListener("pointerover", function (event) {
      var seg = segmentOf(event.target);
      if (seg) { show(seg); }
    });
    map.addEventListener("pointerleave", rest);
    map.addEventListener("focusin", function (event) {
      var seg = segmentOf(event.target);
      if (seg) { show(seg); }
    });
    map.addEventListener("focusout", function () { window.setTimeout(rest, 0); });
  });

  // --- Dental chart: one tooth at a time; picking one makes the item a tooth item
  document.querySelectorAll(".dental-chart.selectable").forEach(function (chart) {
    var select = document.getElementById(chart.getAttribute("data-input"));
    if (!select) { return; }
    var kind = select.form ? select.form.querySelector("select[name=kind]") : null;
    function show(number) {
      chart.querySelectorAll("button.tooth").forEach(function (b) {
        var on = b.getAttribute("data-tooth") === number;
        b.classList.toggle("selected", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }
    chart.addEventListener("click", function (event) {
      var button = event.target.closest("button.tooth");
      if (!button) { return; }
      var number = button.getAttribute("data-tooth");
      var same = select.value === number;
      select.value = same ? "" : number;
      if (!same && kind) { kind.value = "tooth"; }
      show(select.value);
    });
    select.addEventListener("change", function () { show(select.value); });
  });

  // --- Print buttons (no inline handlers: the Content-Security-Policy forbids them)
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // --- Signature pad: strokes become SVG path data ("M x y L x y …")
  document.querySelectorAll(".signature-pad").forEach(function (pad) {
    var input = document.getElementById(pad.getAttribute("data-input"));
    var svg = pad.querySelector("svg");
    var ink = pad.querySelector("path.ink");
    var drawing = false;
    function point(event) {
      var box = svg.getBoundingClientRect();
      var x = (event.clientX - box.left) * 600 / box.width;
      var y = (event.clientY - box.top) * 200 / box.height;
      return x.toFixed(1) + " " + y.toFixed(1);
    }
    svg.addEventListener("pointerdown", function (event) {
      drawing = true;
      svg.setPointerCapture(event.pointerId);
      input.value = (input.value ? input.value + " " : "") + "M" + point(event);
      ink.setAttribute("d", input.value);
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      input.value += " L" + point(event);
      ink.setAttribute("d", input.value);
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      svg.addEventListener(name, function () { drawing = false; });
    });
    pad.querySelector(".clear-signature").addEventListener("click", function () {
      input.value = "";
      ink.setAttribute("d", "");
    });
  });
})();
