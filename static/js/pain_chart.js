// The one pain chart (0-10 over time), drawn by the patient chart and the printable progress
// report: dates in the clinic's time zone, regions and sides by their names, colours from
// app.css. Needs Chart.js and clinic.js.
//
// PainChart.create(canvas, {labels: {regions, sides, sources}, timeZone, seriesBy, span})
//   seriesBy "source": one series per source (intake, before, after, check-in) of the scores
//     shown, as the chart page draws one region at a time;
//   seriesBy "region": one series per region and side, as the progress report draws them all;
//   span: the scores whose dates fix the time axis (default: the scores shown).
// It answers {chart, show(scores)}; show() redraws and sets the canvas's data-points.
// PainChart.key(score) and PainChart.regionName(labels, score) name a region and side.
(function () {
  "use strict";

  const PADDING = 2 * 86400000;
  // Source -> [palette colour, drawn as a line, point style].
  const SOURCE_STYLE = {
    intake: ["chart-3", false, "rectRot"],
    pre_session: ["chart-2", true, "circle"],
    post_session: ["chart-4", false, "triangle"],
    check_in: ["chart-1", true, "rect"],
  };

  const key = (score) => `${score.region}|${score.side}`;
  const at = (score) => Date.parse(score.recorded_at);
  const point = (score) => ({ x: at(score), y: score.score });

  function regionName(labels, score) {
    const region = labels.regions[score.region] || score.region;
    return `${region} — ${labels.sides[score.side] || score.side}`;
  }

  function bySource(scores, labels) {
    return Object.entries(SOURCE_STYLE)
      .map(([source, [colour, line, pointStyle]]) => ({
        label: labels.sources[source] || source,
        data: scores.filter((s) => s.source === source).map(point),
        borderColor: window.Clinic.colour(colour),
        backgroundColor: window.Clinic.colour(colour),
        showLine: line,
        pointStyle,
        pointRadius: 4,
        tension: 0.2,
      }))
      .filter((d) => d.data.length);
  }

  function byRegion(scores, labels) {
    const palette = window.Clinic.palette();
    const series = new Map();
    for (const s of scores) {
      if (!series.has(key(s))) series.set(key(s), { label: regionName(labels, s), data: [] });
      series.get(key(s)).data.push(point(s));
    }
    return [...series.values()].map((d, i) => ({
      ...d,
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
      pointRadius: 3,
      tension: 0.2,
    }));
  }

  function create(canvas, { labels, timeZone, seriesBy = "source", span = null }) {
    window.Clinic.chartDefaults();
    const lang = document.documentElement.lang || undefined;
    const dateLabel = (ms) =>
      new Date(ms).toLocaleDateString(lang, { day: "numeric", month: "short", year: "numeric", timeZone });
    const chart = new window.Chart(canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { type: "linear", ticks: { callback: dateLabel, maxTicksLimit: 8 } },
          y: { min: 0, max: 10, title: { display: true, text: "0-10" } },
        },
        plugins: { tooltip: { callbacks: { title: (items) => dateLabel(items[0].parsed.x) } } },
      },
    });

    function show(scores) {
      const times = (span || scores).map(at);
      if (times.length) {
        chart.options.scales.x.min = Math.min(...times) - PADDING;
        chart.options.scales.x.max = Math.max(...times) + PADDING;
      }
      chart.data.datasets = seriesBy === "region" ? byRegion(scores, labels) : bySource(scores, labels);
      chart.update();
      canvas.dataset.points = String(scores.length);
    }

    return { chart, show };
  }

  window.PainChart = { create, key, regionName };
})();
