// Page shell: on wide screens the navigation menu is always open; on phones it folds.
(function () {
  var menu = document.getElementById("main-menu");
  if (!menu) return;
  var wide = window.matchMedia("(min-width: 720px)");
  function sync() { if (wide.matches) { menu.open = true; } }
  sync();
  wide.addEventListener("change", sync);
})();
// One section of the menu open at a time, closed by Escape or a click elsewhere.
(function () {
  var groups = document.querySelectorAll(".nav-group > details");
  if (!groups.length) return;
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () {
      if (!group.open) return;
      groups.forEach(function (other) { if (other !== group) other.open = false; });
    });
  });
  document.addEventListener("click", function (event) {
    groups.forEach(function (group) { if (!group.contains(event.target)) group.open = false; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    groups.forEach(function (group) {
      if (group.open) { group.open = false; group.querySelector("summary").focus(); }
    });
  });
})();
