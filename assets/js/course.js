/*
 * Small fixes to the theme's behaviour (part of this course; loaded on every page by
 * _ext/explorable.py).
 *
 * The navigation button of the article header ("Toggle primary sidebar", the only one
 * visible below 960 px) did nothing: pydata-sphinx-theme 0.17 and sphinx-book-theme
 * 1.3 attach their sidebar handlers to the FIRST .primary-toggle of the page, the one in
 * the top header that the book theme hides. A click on any other .primary-toggle is
 * forwarded to that first one, which opens the navigation drawer on a phone and
 * collapses the sidebar on a wide screen, as the themes intend.
 */
(function () {
  "use strict";
  function forwardToggles() {
    var first = document.querySelector(".primary-toggle");
    document.querySelectorAll(".primary-toggle").forEach(function (button) {
      if (button === first) return;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        first.click();
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", forwardToggles);
  } else {
    forwardToggles();
  }
}());
