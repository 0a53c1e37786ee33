/*
 * Explorable figures on the static website (part of this course, not vendored).
 *
 * The book build (_ext/explorable.py) replaced each widget by plain HTML controls, an
 * image of its starting frame and a JSON manifest: for each rendered setting (a key
 * "i0,i1,...", one position index per control) the file of its frame. This script
 * shows the frame of the reader's setting when a control moves. A setting that was
 * not rendered shows the nearest rendered one that keeps the control just moved where
 * the reader put it, and the note beside the figure says which values it shows instead.
 * Native <select>, <input type=range> and checkboxes: keyboard and touch work as usual.
 */
(function () {
  "use strict";

  function setUp(root) {
    var dataNode = root.querySelector("script.explorable-data");
    if (!dataNode) return;
    var data = JSON.parse(dataNode.textContent);
    var base = root.getAttribute("data-base");
    var img = root.querySelector("img.explorable-frame");
    var note = root.querySelector(".explorable-note");
    var controls = data.controls;
    var inputs = controls.map(function (_, i) { return root.querySelector('[data-control="' + i + '"]'); });
    var keys = Object.keys(data.frames).map(function (k) { return k.split(",").map(Number); });
    var defaultNote = note.textContent;

    function position(i) {
      var el = inputs[i];
      if (!el) return controls[i].start;
      if (el.type === "checkbox") return el.checked ? 1 : 0;
      return Number(el.value);
    }

    function distance(a, b) {
      var d = 0;
      for (var i = 0; i < a.length; i++) {
        if (a[i] === b[i]) continue;
        var n = controls[i].labels.length;
        d += controls[i].kind === "range" ? Math.abs(a[i] - b[i]) / Math.max(1, n - 1) : 1;
      }
      return d;
    }

    function nearest(wanted, moved) {
      var pool = keys;
      if (moved !== null) {
        var keeping = keys.filter(function (k) { return k[moved] === wanted[moved]; });
        if (keeping.length) pool = keeping;
      }
      var best = pool[0], bestD = Infinity;
      pool.forEach(function (k) {
        var d = distance(wanted, k);
        if (d < bestD) { best = k; bestD = d; }
      });
      return best;
    }

    function describe(key) {
      return controls.map(function (c, i) { return c.label + " = " + c.labels[key[i]]; }).join(", ");
    }

    function update(moved) {
      var wanted = controls.map(function (_, i) { return position(i); });
      inputs.forEach(function (el, i) {
        if (el && el.type === "range") {
          var text = controls[i].labels[wanted[i]];
          el.setAttribute("aria-valuetext", text);
          var out = root.querySelector('output[for="' + el.id + '"]');
          if (out) out.textContent = text;
        }
      });
      var key = wanted.join(",");
      var shown = wanted;
      if (!(key in data.frames)) {
        shown = nearest(wanted, moved);
        key = shown.join(",");
        var instead = [];
        controls.forEach(function (c, i) {
          if (shown[i] !== wanted[i]) instead.push(c.label + " = " + c.labels[shown[i]] +
                                                   " (instead of " + c.labels[wanted[i]] + ")");
        });
        note.textContent = "This combination was not precomputed; showing the nearest one: " +
          instead.join(", ") + ". The live notebook (Binder, Colab or local) draws any setting.";
        root.classList.add("explorable-approximate");
      } else {
        note.textContent = defaultNote;
        root.classList.remove("explorable-approximate");
      }
      img.src = base + data.frames[key];
      img.alt = "Figure at " + describe(shown);
      root.setAttribute("data-shown", key);
    }

    inputs.forEach(function (el, i) {
      if (!el) return;
      el.addEventListener("input", function () { update(i); });
      el.addEventListener("change", function () { update(i); });
    });
    update(null);   // the browser may have restored the controls' positions (back, reload)
    root.setAttribute("data-ready", "true");
  }

  function setUpAll() {
    document.querySelectorAll(".explorable:not([data-ready])").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
}());
