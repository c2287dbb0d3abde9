// The membrane-potential lab: each slider moves the number beside it (which the form sends)
// and the number moves its slider. A moved slider counts as typing in the number, so the
// server's result follows (htmx). Without this script the numbers and Compute still work.
(function () {
  "use strict";
  var sliders = document.querySelectorAll(".lab-form input[type=range][data-for]");
  Array.prototype.forEach.call(sliders, function (slider) {
    var number = document.getElementById(slider.getAttribute("data-for"));
    if (!number) { return; }
    slider.addEventListener("input", function () {
      number.value = slider.value;
      number.dispatchEvent(new Event("input", { bubbles: true }));
    });
    number.addEventListener("input", function () {
      if (number.value !== "" && !isNaN(Number(number.value))) { slider.value = number.value; }
    });
  });

  // The result is swapped in whole; a screen reader hears the new potential (or the problem)
  // from one small live region that stays, not the whole result again.
  var announce = document.getElementById("lab-announce");
  document.body.addEventListener("htmx:afterSettle", function () {
    var result = document.getElementById("lab-result");
    if (!announce || !result) { return; }
    var said = result.querySelector(".lab-vm, [role=alert]");
    announce.textContent = said ? said.textContent.replace(/\s+/g, " ").trim() : "";
  });
}());
