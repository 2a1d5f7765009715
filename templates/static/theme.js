// Theme: follow the system unless the viewer picked light or dark (kept in localStorage).
// Loaded in <head> so the chosen theme applies before the first paint.
(function () {
  "use strict";
  var KEY = "gitbrag-theme";
  var root = document.documentElement;
  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function effective() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  var initial = stored();
  if (initial === "light" || initial === "dark") root.dataset.theme = initial;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var next = effective() === "dark" ? "light" : "dark";
    var systemDark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    try {
      // Choosing what the system already shows means "follow the system" again.
      if ((next === "dark") === systemDark) { localStorage.removeItem(KEY); delete root.dataset.theme; }
      else { localStorage.setItem(KEY, next); root.dataset.theme = next; }
    } catch (e) { root.dataset.theme = next; }
  });
})();
