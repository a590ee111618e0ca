// candor review: keyboard shortcuts for fast review (see the ? dialog). No libraries, no network.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT") &&
      el.type !== "radio";
  }
  function click(id) { var b = document.getElementById(id); if (b) { b.click(); return true; } return false; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr"));
  var current = -1;
  function move(step) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("current");
    current = Math.max(0, Math.min(rows.length - 1, current + step));
    rows[current].classList.add("current");
    rows[current].scrollIntoView({ block: "nearest" });
  }
  rows.forEach(function (r) {
    r.addEventListener("click", function (e) { if (e.target.tagName !== "A") location.href = r.dataset.href; });
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var el = document.activeElement;
    if (e.key === "Escape" && typing(el)) { el.blur(); return; }
    if (typing(el)) {
      if (e.key === "Enter" && el.id === "label") { e.preventDefault(); click("correct"); }
      return;
    }
    var form = document.getElementById("review-form");
    var k = e.key;
    if (form && k >= "1" && k <= "5") {
      var radio = form.querySelector('input[name="mos"][value="' + k + '"]');
      if (radio) { radio.checked = true; e.preventDefault(); }
    } else if (form && k === "y") { e.preventDefault(); click("confirm"); }
    else if (form && k === "s") { e.preventDefault(); click("skip"); }
    else if (form && k === "c") { e.preventDefault(); document.getElementById("label").focus(); }
    else if (form && k === "m") { e.preventDefault(); document.getElementById("comment").focus(); }
    else if (k === "n") { e.preventDefault(); location.href = "/review/next"; }
    else if (k === "j") { e.preventDefault(); move(1); }
    else if (k === "k") { e.preventDefault(); move(-1); }
    else if (k === "Enter" && current >= 0) { location.href = rows[current].dataset.href; }
    else if (k === "?") { var d = document.getElementById("help"); if (d && d.showModal) d.showModal(); }
  });
})();
