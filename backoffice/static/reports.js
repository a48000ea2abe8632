// Charts for /csr/reports, drawn with Chart.js from the figures the page carries as JSON.
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") return;
  var figures = JSON.parse(source.textContent);
  var colour = getComputedStyle(document.documentElement).getPropertyValue("--accent").trim() || "#1f6feb";

  function words(key) {
    return String(key).replace(/_/g, " ");
  }

  function bar(canvas, labels, values, horizontal) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: [{ data: values, backgroundColor: colour }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: { x: { ticks: { precision: 0 } }, y: { ticks: { precision: 0 } } }
      }
    });
  }

  function pairs(object) {
    return Object.keys(object || {}).map(function (key) { return [words(key), object[key]]; });
  }

  var charts = {
    handoffs_by_reason: function () { return pairs(figures.handoffs_by_reason); },
    messages_by_channel: function () { return pairs(figures.messages_by_channel); },
    messages_by_hour: function () {
      return (figures.messages_by_hour || []).map(function (count, hour) {
        return [(hour < 10 ? "0" : "") + hour, count];
      });
    },
    top_intents: function () {
      return (figures.top_intents || []).map(function (row) { return [words(row.intent), row.count]; });
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var name = canvas.getAttribute("data-chart");
    var rows = charts[name] ? charts[name]() : [];
    if (!rows.length) { canvas.hidden = true; return; }
    canvas.parentElement.classList.add("drawn");
    bar(canvas, rows.map(function (r) { return r[0]; }), rows.map(function (r) { return r[1]; }),
        name === "top_intents" || name === "handoffs_by_reason");
  });
})();
