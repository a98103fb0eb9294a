// The chart's pressure-pain threshold trend (Chart.js): one muscle at a time, both sides and
// the reference site, in kg/cm²; a value whose change from the first is beyond the clinic's
// minimal detectable change is drawn as a larger point.
(function () {
  "use strict";
  const canvas = document.getElementById("ppt-chart");
  const source = document.getElementById("ppt-data");
  if (!canvas || !source) return;
  const data = JSON.parse(source.textContent);
  const t = (text) => (window.gettext ? window.gettext(text) : text);
  const select = document.getElementById("ppt-muscle");
  const zone = { timeZone: data.time_zone };
  const dateLabel = (ms) => new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", ...zone });
  const PADDING = 2 * 86400000;
  const muscles = {};
  data.series.filter((s) => s.site === "point").forEach((s) => { muscles[s.muscle] = s.muscle_name; });
  Object.entries(muscles)
    .sort((a, b) => a[1].localeCompare(b[1]))
    .forEach(([slug, name]) => select.add(new Option(name, slug)));
  const references = data.series.filter((s) => s.site === "reference");
  window.Clinic.chartDefaults();
  const palette = window.Clinic.palette();
  const chart = new window.Chart(canvas, {
    type: "line",
    data: { datasets: [] },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: {
        x: { type: "linear", ticks: { callback: dateLabel, maxTicksLimit: 6 } },
        y: { suggestedMin: 0, suggestedMax: 5, title: { display: true, text: data.unit } },
      },
    },
  });

  function draw() {
    const shown = [
      ...data.series.filter((s) => s.site === "point" && s.muscle === select.value),
      ...references,
    ];
    const times = shown.flatMap((s) => s.values.map((v) => v.at * 1000));
    chart.options.scales.x.min = Math.min(...times) - PADDING;
    chart.options.scales.x.max = Math.max(...times) + PADDING;
    chart.data.datasets = shown.map((s, i) => ({
      label: s.site === "reference"
        ? `${t("Reference site")}: ${s.muscle_name}, ${data.sides[s.side] || s.side}`
        : data.sides[s.side] || s.side,
      data: s.values.map((v) => ({ x: v.at * 1000, y: v.ppt })),
      pointRadius: s.values.map((v) => (v.real_change_from_first ? 6 : 3)),
      borderDash: s.site === "reference" ? [6, 4] : [],
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
      tension: 0.2,
    }));
    chart.update();
    canvas.dataset.series = String(shown.length);
  }
  select.addEventListener("change", draw);
  draw();
})();
