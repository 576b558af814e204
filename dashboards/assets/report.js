/* devmetrics report: draws every figure of the page, then marks the page ready.
   Figures are JSON data blocks (<script type="application/json" data-figure-for="chart-id">), so the
   page runs no inline script and its Content-Security-Policy can allow only this file and plotly.js. */
(function () {
  "use strict";

  var CONFIG = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"]
  };

  function fail(message) {
    var box = document.getElementById("report-error");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
    document.body.dataset.ready = "error";
  }

  function drawOne(block) {
    var target = document.getElementById(block.getAttribute("data-figure-for"));
    var figure = JSON.parse(block.textContent);
    return Plotly.newPlot(target, figure.data, figure.layout, CONFIG);
  }

  function drawAll() {
    var blocks = Array.prototype.slice.call(
      document.querySelectorAll('script[type="application/json"][data-figure-for]')
    );
    if (blocks.length > 0 && typeof Plotly === "undefined") {
      fail("The charts need plotly.min.js next to index.html; it did not load.");
      return;
    }
    var drawn;
    try {
      drawn = blocks.map(drawOne);
    } catch (error) {
      fail("A chart could not be drawn: " + error);
      return;
    }
    Promise.all(drawn).then(
      function () { document.body.dataset.ready = "1"; },
      function (error) { fail("A chart could not be drawn: " + error); }
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
