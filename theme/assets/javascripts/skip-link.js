/* "Skip to content" moves the keyboard focus, not only the view, to the page's first heading.
   Left to Material's instant navigation, the click reloads the page's content in place, the
   focus falls back to the document, and the next Tab starts again at the top of the page. */
(() => {
  "use strict";

  // Capture, on window: this runs before Material's own click handling, which it then skips.
  window.addEventListener("click", (ev) => {
    const link = ev.target.closest && ev.target.closest("a.md-skip");
    const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    ev.preventDefault();
    ev.stopPropagation();
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }, true);
})();
