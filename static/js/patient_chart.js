// The patient chart's pain and mobility charts (Chart.js, from the npm registry): pain through
// the shared renderer (pain_chart.js), one region at a time; mobility as % of normal.
(function () {
  "use strict";
  // Series of [seconds, value] points, movements named once (a long history stays a small
  // page): the score and measurement objects the charts and the shared renderer read are
  // made here, oldest first.
  const sent = JSON.parse(document.getElementById("chart-data").textContent);
  const iso = (seconds) => new Date(seconds * 1000).toISOString();
  const byTime = (a, b) => a.at - b.at;
  const data = {
    ...sent,
    pain: sent.pain
      .flatMap(({ points, ...series }) => points.map(([at, score]) => ({ ...series, at, score })))
      .sort(byTime)
      .map(({ at, ...score }) => ({ ...score, recorded_at: iso(at) })),
    mobility: sent.mobility
      .flatMap(({ movement, side, points }) => points.map(([at, percent]) => ({
        at, side, percent_of_normal: percent,
        joint: sent.movements[movement].joint, movement_name: sent.movements[movement].name,
      })))
      .sort(byTime)
      .map(({ at, ...measured }) => ({ ...measured, measured_at: iso(at) })),
  };
  // Dates and times in the clinic's zone, whatever the device's.
  const zone = { timeZone: data.time_zone };
  const dateLabel = (ms) => new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", ...zone });
  const PADDING = 2 * 86400000;

  function painChart() {
    const canvas = document.getElementById("pain-chart");
    if (!canvas) return;
    const select = document.getElementById("pain-region");
    const { key, regionName } = window.PainChart;
    const counts = {};
    const example = {};
    data.pain.forEach((s) => {
      counts[key(s)] = (counts[key(s)] || 0) + 1;
      example[key(s)] = s;
    });
    Object.keys(counts)
      .sort((a, b) => counts[b] - counts[a])
      .forEach((k) => select.add(new Option(`${regionName(data, example[k])} (${counts[k]})`, k)));
    const chart = window.PainChart.create(canvas, {
      labels: data, timeZone: data.time_zone, seriesBy: "source", span: data.pain,
    });
    function draw() {
      const chosen = data.pain.filter((s) => key(s) === select.value);
      chart.show(chosen);
      latestTable(chosen);
    }
    select.addEventListener("change", draw);
    draw();
  }

  // The newest scores of the chosen region as a table: readable without the chart.
  function latestTable(scores) {
    const body = document.querySelector("#pain-latest tbody");
    if (!body) return;
    body.replaceChildren(
      ...scores.slice(-8).reverse().map((s) => {
        const row = document.createElement("tr");
        [new Date(s.recorded_at).toLocaleString(undefined, zone), data.sources[s.source], String(s.score)].forEach((text) => {
          const cell = document.createElement("td");
          cell.textContent = text;
          row.appendChild(cell);
        });
        return row;
      }),
    );
  }

  function mobilityChart() {
    const canvas = document.getElementById("mobility-chart");
    if (!canvas) return;
    const day = (iso) => new Date(iso).getTime();
    const times = data.mobility.map((m) => day(m.measured_at));
    const series = {};
    data.mobility.forEach((m) => {
      const label = `${m.joint} ${m.movement_name.toLowerCase()}${m.side === "midline" ? "" : ` (${data.sides[m.side]})`}`;
      (series[label] = series[label] || []).push({ x: day(m.measured_at), y: Math.round(m.percent_of_normal) });
    });
    window.Clinic.chartDefaults();
    const palette = window.Clinic.palette();
    new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: Object.entries(series).map(([label, points], i) => ({
          label, data: points, borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length], tension: 0.2, pointRadius: 3,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { type: "linear", min: Math.min(...times) - PADDING, max: Math.max(...times) + PADDING, ticks: { callback: dateLabel, maxTicksLimit: 8 } },
          y: { suggestedMin: 0, suggestedMax: 110, title: { display: true, text: "% of normal" } },
        },
      },
    });
  }

  painChart();
  mobilityChart();
})();
