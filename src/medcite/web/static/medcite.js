// Progressive enhancement only: every page works without this script.
// "Source" buttons reveal the passage a statement is quoted from; hovering or focusing a
// citation number reveals it too, so readers can check a claim without leaving the page.
(function () {
  "use strict";
  function toggle(button, open) {
    var box = document.getElementById(button.getAttribute("aria-controls"));
    if (!box) return;
    var show = open === undefined ? box.hidden : open;
    box.hidden = !show;
    button.setAttribute("aria-expanded", show ? "true" : "false");
  }
  function buttonFor(cite) {
    // A gloss cites its own definition passage, not the statement's: no source to reveal.
    if (cite.closest(".gloss")) return null;
    var li = cite.closest("li, .note");
    return li ? li.querySelector("button.show-source") : null;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.show-source");
    if (button) toggle(button);
  });
  ["mouseover", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var cite = event.target.closest(".cite a");
      if (!cite) return;
      var button = buttonFor(cite);
      if (button) toggle(button, true);
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("button.show-source[aria-expanded=true]").forEach(function (b) {
      toggle(b, false);
    });
  });
})();
