// The patient chart's pain and mobility charts (Chart.js, from the npm registry).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const day = (iso) => new Date(iso).getTime();
  // Dates and times in the clinic's zone, whatever the device's.
  const zone = { timeZone: data.time_zone };
  const dateLabel = (ms) => new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", ...zone });
  const PADDING = 2 * 86400000;
  function timeAxis(rows, field) {
    const times = rows.map((r) => day(r[field]));
    return {
      type: "linear", min: Math.min(...times) - PADDING, max: Math.max(...times) + PADDING,
      ticks: { callback: dateLabel, maxTicksLimit: 8 },
    };
  }
  const SOURCE_STYLE = {
    intake: { color: "#6b21a8", line: false, point: "rectRot" },
    pre_session: { color: "#b3261e", line: true, point: "circle" },
    post_session: { color: "#d97706", line: false, point: "triangle" },
    check_in: { color: "#0b6e75", line: true, point: "rect" },
  };

  function painChart() {
    const canvas = document.getElementById("pain-chart");
    if (!canvas) return;
    const select = document.getElementById("pain-region");
    const key = (s) => `${s.region}|${s.side}`;
    const counts = {};
    data.pain.forEach((s) => { counts[key(s)] = (counts[key(s)] || 0) + 1; });
    const keys = Object.keys(counts).sort((a, b) => counts[b] - counts[a]);
    keys.forEach((k) => {
      const [region, side] = k.split("|");
      const option = new Option(`${data.regions[region]} — ${data.sides[side]} (${counts[k]})`, k);
      select.add(option);
    });
    const chart = new Chart(canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: timeAxis(data.pain, "recorded_at"), y: { min: 0, max: 10, title: { display: true, text: "0-10" } } },
        plugins: { tooltip: { callbacks: { title: (items) => dateLabel(items[0].parsed.x) } } },
      },
    });
    function draw() {
      const chosen = data.pain.filter((s) => key(s) === select.value);
      chart.data.datasets = Object.entries(SOURCE_STYLE)
        .map(([source, style]) => ({
          label: data.sources[source],
          data: chosen.filter((s) => s.source === source).map((s) => ({ x: day(s.recorded_at), y: s.score })),
          borderColor: style.color, backgroundColor: style.color, showLine: style.line,
          pointStyle: style.point, pointRadius: 4, tension: 0.2,
        }))
        .filter((d) => d.data.length);
      chart.update();
      canvas.dataset.points = chosen.length;
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
    const series = {};
    data.mobility.forEach((m) => {
      const label = `${m.joint} ${m.movement_name.toLowerCase()}${m.side === "midline" ? "" : ` (${data.sides[m.side]})`}`;
      (series[label] = series[label] || []).push({ x: day(m.measured_at), y: Math.round(m.percent_of_normal) });
    });
    const palette = ["#0b6e75", "#b3261e", "#6b21a8", "#d97706", "#15803d", "#1d4ed8", "#be185d", "#4b5563"];
    new Chart(canvas, {
      type: "line",
      data: {
        datasets: Object.entries(series).map(([label, points], i) => ({
          label, data: points, borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length], tension: 0.2, pointRadius: 3,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: timeAxis(data.mobility, "measured_at"), y: { suggestedMin: 0, suggestedMax: 110, title: { display: true, text: "% of normal" } } },
      },
    });
  }

  painChart();
  mobilityChart();
})();
