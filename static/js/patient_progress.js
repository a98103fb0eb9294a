// A patient's printable progress report: pain per region over time, and range of motion first
// against latest, from the patient trend endpoints. Dates in the clinic's time zone.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("progress-config").textContent);
  const root = document.getElementById("progress");
  const lang = document.documentElement.lang || undefined;
  const day = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: config.timeZone });
  const COLOURS = ["#0b6e75", "#b3261e", "#6a4c93", "#e07a1f", "#2a9d8f", "#5b6b7b"];

  async function read(url) {
    const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error(url + " answered " + answer.status);
    return answer.json();
  }

  function drawPain(scores) {
    const rated = scores.filter((s) => s.source !== "post_session");
    document.getElementById("pain-empty").hidden = rated.length > 0;
    const labels = [...new Set(rated.map((s) => day.format(new Date(s.recorded_at))))];
    const series = new Map();
    for (const s of rated) {
      const key = s.region.replace(/_/g, " ") + " (" + s.side + ")";
      if (!series.has(key)) series.set(key, new Map());
      series.get(key).set(day.format(new Date(s.recorded_at)), s.score);
    }
    new Chart(document.getElementById("chart-pain"), {
      type: "line",
      data: {
        labels: labels,
        datasets: [...series].map(([name, points], i) => ({
          label: name,
          data: labels.map((l) => (points.has(l) ? points.get(l) : null)),
          spanGaps: true,
          borderColor: COLOURS[i % COLOURS.length],
        })),
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 10 } } },
    });
  }

  function fillMobility(measures) {
    const rows = new Map();
    for (const m of measures) {
      const key = m.joint + " " + m.movement_name + "|" + m.side;
      const row = rows.get(key) || { name: m.joint + " " + m.movement_name, side: m.side, first: m, n: 0 };
      row.latest = m;
      row.n += 1;
      rows.set(key, row);
    }
    document.getElementById("mobility-empty").hidden = rows.size > 0;
    document.getElementById("mobility-rows").replaceChildren(...[...rows.values()].map((r) => {
      const tr = document.createElement("tr");
      for (const value of [r.name, r.side, r.first.degrees + "°", r.latest.degrees + "°",
        Math.round(r.latest.percent_of_normal) + " %", r.n]) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.append(td);
      }
      return tr;
    }));
  }

  document.getElementById("print").addEventListener("click", () => window.print());
  Promise.all([read(config.pain), read(config.mobility)])
    .then(([pain, mobility]) => {
      drawPain(pain);
      fillMobility(mobility);
      root.dataset.state = "ready";
    })
    .catch(() => { root.dataset.state = "failed"; });
})();
