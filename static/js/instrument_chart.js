// The patient chart's questionnaires (NDI, LEFS, PSFS, a clinic's own): one line per
// instrument version over time, with its MCID band around the first score (Chart.js).
(function () {
  "use strict";
  const source = document.getElementById("instrument-data");
  if (!source) return;
  const { series } = JSON.parse(source.textContent);
  const zone = { timeZone: (JSON.parse(document.getElementById("chart-data").textContent) || {}).time_zone };
  const dateLabel = (ms) => new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", ...zone });
  const PADDING = 2 * 86400000;
  window.Clinic.chartDefaults();
  const palette = window.Clinic.palette();
  const faint = window.Clinic.colour("chart-faint");

  document.querySelectorAll("canvas[data-instrument-series]").forEach((canvas) => {
    const entry = series[Number(canvas.dataset.instrumentSeries)];
    const points = entry.points.map((p) => ({ x: new Date(p.t).getTime(), y: p.y }));
    const times = points.map((p) => p.x);
    const from = Math.min(...times) - PADDING;
    const to = Math.max(...times) + PADDING;
    const clamp = (v) => Math.min(entry.max, Math.max(entry.min, v));
    const band = (offset) => [{ x: from, y: clamp(entry.baseline + offset) }, { x: to, y: clamp(entry.baseline + offset) }];
    new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          { label: "MCID", data: band(-entry.mcid), borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: faint },
          { label: `± ${entry.mcid}`, data: band(entry.mcid), borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: faint },
          { label: entry.name, data: points, borderColor: palette[0], backgroundColor: palette[0], tension: 0.2, pointRadius: 4 },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { labels: { filter: (item) => item.datasetIndex !== 0 } } },
        scales: {
          x: { type: "linear", min: from, max: to, ticks: { callback: dateLabel, maxTicksLimit: 6 } },
          y: { min: entry.min, max: entry.max, reverse: false },
        },
      },
    });
  });
})();
