// Page shell: on wide screens the navigation menu is always open; on phones it folds.
(function () {
  var menu = document.getElementById("main-menu");
  if (!menu) return;
  var wide = window.matchMedia("(min-width: 720px)");
  function sync() { if (wide.matches) { menu.open = true; } }
  sync();
  wide.addEventListener("change", sync);
})();
