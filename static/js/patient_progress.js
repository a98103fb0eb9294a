// A patient's printable progress report: pain per region over time (the shared renderer,
// pain_chart.js), and range of motion first against latest, from the patient trend endpoints.
// Dates in the clinic's time zone.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("progress-config").textContent);
  const root = document.getElementById("progress");

  function drawPain(scores) {
    // The rating right after a session is left out: soreness then understates the benefit.
    const rated = scores.filter((s) => s.source !== "post_session");
    document.getElementById("pain-empty").hidden = rated.length > 0;
    window.PainChart.create(document.getElementById("chart-pain"), {
      labels: config, timeZone: config.timeZone, seriesBy: "region",
    }).show(rated);
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
      for (const value of [r.name, config.sides[r.side] || r.side, r.first.degrees + "°", r.latest.degrees + "°",
        Math.round(r.latest.percent_of_normal) + " %", r.n]) {
        const td = document.createElement("td");
        td.textContent = value;
        tr.append(td);
      }
      return tr;
    }));
  }

  Promise.all([window.Clinic.getJson(config.pain), window.Clinic.getJson(config.mobility)])
    .then(([pain, mobility]) => {
      drawPain(pain);
      fillMobility(mobility);
      root.dataset.state = "ready";
    })
    .catch((error) => {
      console.error(error);
      root.dataset.state = "failed";
    });
})();
