/* wardwatch dashboard: draws the charts whose Chart.js configuration a page put in a
   canvas's data-chart attribute (pages carry no inline script), after the first load and
   after every htmx swap. Band datasets (wwBand) are left out of the legend. */
(function () {
  "use strict";
  function draw(root) {
    var canvases = (root || document).querySelectorAll("canvas[data-chart]");
    canvases.forEach(function (el) {
      if (el.dataset.drawn === "1" || typeof Chart === "undefined") { return; }
      var config;
      try { config = JSON.parse(el.dataset.chart); } catch (e) { return; }
      config.options = config.options || {};
      config.options.plugins = config.options.plugins || {};
      var legend = config.options.plugins.legend = config.options.plugins.legend || {};
      legend.labels = legend.labels || {};
      legend.labels.filter = function (item, data) {
        var ds = data.datasets[item.datasetIndex];
        return !(ds && ds.wwBand);
      };
      new Chart(el, config);
      el.dataset.drawn = "1";
    });
  }
  /* htmx leaves 4xx answers unswapped; a refusal the server renders for its target (an
     alert someone else resolved a moment ago) is swapped in so the person sees why. */
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 &&
        evt.detail.serverResponse.indexOf('class="alert-refused"') !== -1) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { draw(evt.target); });
})();
