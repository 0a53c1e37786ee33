/*
 * Loaded on pages with ipywidgets, after require.js and before the ipywidgets HTML
 * manager (see nb_ipywidgets_js in _config.yml). Part of this course, not vendored.
 *
 * 1. The HTML manager is an AMD bundle; webpack inside it locates its Font Awesome
 *    fonts relative to each module's require.js URL, which by default is the page's
 *    own folder (chapters/@jupyter-widgets/...: 404). Point those module ids at the
 *    vendored dist/ folder, so that the fonts load from _static/vendor/.
 * 2. @jupyter-widgets/controls typesets math in widget labels with the MathJax 2 call
 *    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the site runs MathJax 3,
 *    which has no Hub, so every widget threw "Cannot read properties of undefined
 *    (reading 'Queue')". A small Hub forwards the call to MathJax 3.
 * 3. Images that a widget's Output area shows (the plot drawn when the page was
 *    built) have no alt text; give them one that says what they are.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var dist = new URL("../vendor/html-manager/dist/", script.src).href;
  var ids = ["@jupyter-widgets/html-manager", "@jupyter-widgets/base", "@jupyter-widgets/base7",
             "@jupyter-widgets/controls", "@jupyter-widgets/controls7", "@jupyter-widgets/output"];
  var paths = {"@jupyter-widgets/html-manager/dist": dist.replace(/\/$/, "")};
  ids.forEach(function (id) { paths[id] = dist + id.split("/").pop(); });
  window.require.config({paths: paths});

  function typeset(element) {
    var mj = window.MathJax;
    if (!(mj && mj.startup && mj.typesetPromise)) return;
    // Widget labels use Jupyter's $...$ delimiters; Sphinx configures MathJax 3 for
    // \(...\) and \[...\] only, and to skip the page body unless marked for processing.
    var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      node.nodeValue = node.nodeValue
        .replace(/\$\$([^$]+)\$\$/g, "\\[$1\\]")
        .replace(/\$([^$]+)\$/g, "\\($1\\)");
    }
    element.classList.add("mathjax_process");
    mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
  }

  function describeWidgetImages(root) {
    root.querySelectorAll(".widget-subarea img:not([alt])").forEach(function (img) {
      img.setAttribute("alt", "Output of the interactive widget, drawn at its default " +
                              "settings when this page was built");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // MathJax 3 (a deferred script) has run by now.
    if (window.MathJax && !window.MathJax.Hub) {
      window.MathJax.Hub = {
        Queue: function () {
          Array.prototype.forEach.call(arguments, function (job) {
            if (Array.isArray(job) && job[0] === "Typeset" && job[2]) typeset(job[2]);
          });
        }
      };
    }
    new MutationObserver(function () { describeWidgetImages(document); })
      .observe(document.body, {childList: true, subtree: true});
  });
}());
