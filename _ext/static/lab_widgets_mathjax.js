/* Loaded just before the ipywidgets HTML manager (jupyter-widgets/embed.js).
 *
 * The manager typesets widget labels with MathJax 2's API,
 * MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]), whenever window.MathJax
 * exists. The book loads MathJax 3 (_static/mathjax), which has no Hub, so
 * every widget label threw "Cannot read properties of undefined (reading
 * 'Queue')". This gives whatever object window.MathJax is (the configuration
 * first, MathJax 3 once it has loaded) a Hub whose Queue typesets with
 * MathJax 3's typesetPromise.
 */
(function () {
  "use strict";
  function queue() {
    Array.prototype.forEach.call(arguments, function (job) {
      var mathjax = window.MathJax;
      if (Array.isArray(job) && job[0] === "Typeset" && job[2] instanceof Element &&
          mathjax && typeof mathjax.typesetPromise === "function") {
        mathjax.typesetPromise([job[2]]).catch(function () {});
      }
    });
  }
  function addHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      try {
        Object.defineProperty(mathjax, "Hub", {value: {Queue: queue}, configurable: true});
      } catch (error) { /* a frozen object: nothing to do */ }
    }
    return mathjax;
  }
  var current = addHub(window.MathJax);
  var descriptor = Object.getOwnPropertyDescriptor(window, "MathJax");
  if (!descriptor || descriptor.configurable) {
    Object.defineProperty(window, "MathJax", {
      configurable: true,
      enumerable: true,
      get: function () { return current; },
      set: function (value) { current = addHub(value); },
    });
  }
})();
