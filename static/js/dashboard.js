// The manager's dashboard: reads the report API with the chosen filters, then fills the KPI
// tiles, the charts and the tables. Every table downloads as CSV from the same rows it shows.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const root = document.getElementById("dashboard");
  const form = document.getElementById("filters");
  const text = config.strings;
  const number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    maximumFractionDigits: 1,
  });
  const rows = {};
  const charts = {};
  let generation = 0;

  function show(value, suffix) {
    return value === null || value === undefined ? "–" : number.format(value) + (suffix || "");
  }

  function query() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (value !== "") params.set(name, value);
    }
    return params.toString();
  }

  const read = (url, qs) => window.Clinic.getJson(url + "?" + qs);

  function kpi(name, value) {
    root.querySelector('[data-kpi="' + name + '"]').textContent = value;
  }

  function chart(id, type, options) {
    if (!charts[id]) {
      window.Clinic.chartDefaults();
      charts[id] = new Chart(document.getElementById(id), {
        type: type,
        data: { labels: [], datasets: [] },
        options: Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, options),
      });
    }
    return charts[id];
  }

  function draw(id, type, labels, datasets, options) {
    const c = chart(id, type, options);
    c.data.labels = labels;
    c.data.datasets = datasets;
    c.update();
    c.canvas.dataset.points = String(datasets.reduce((n, d) => n + d.data.length, 0));
  }

  function fillTable(key, data) {
    rows[key] = data;
    const columns = config.tables[key];
    const body = root.querySelector('[data-table="' + key + '"] tbody');
    if (!data.length) {
      const td = document.createElement("td");
      td.colSpan = columns.length;
      td.className = "empty";
      td.textContent = text.noRows;
      const tr = document.createElement("tr");
      tr.append(td);
      body.replaceChildren(tr);
      return;
    }
    body.replaceChildren(
      ...data.map((row) => {
        const tr = document.createElement("tr");
        for (const column of columns) {
          const td = document.createElement("td");
          const value = row[column];
          td.textContent = typeof value === "number" ? number.format(value) : value ?? "–";
          tr.append(td);
        }
        return tr;
      })
    );
  }

  function count(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, name) => show(values[name]));
  }

  function renderOperations(book) {
    kpi("no_show_rate", show(book.no_show_rate, " %"));
    kpi("no_shows", show(book.no_shows) + " " + count(text.ofAppointments, { count: book.attended + book.no_shows }));
    kpi("late_cancellation_rate", show(book.late_cancellation_rate, " %"));
    kpi("cancelled_late", count(text.withinHours, { hours: book.late_cancellation_hours }) + ": " +
      show(book.cancelled_late) + " " + count(text.ofAppointments, { count: book.appointments }));
    kpi("rebooking_rate", show(book.rebooking_rate, " %"));
    kpi("rebooked", show(book.rebooked) + " " + count(text.ofAttended, { count: book.attended }));
    kpi("patients_seen", show(book.patients_seen));
    kpi("new_returning", count(text.newReturning, { new: book.new_patients, returning: book.returning_patients }));
    fillTable("utilisation", book.by_therapist);
  }

  // The share of points whose muscle refers (an essential zone) to where the patient hurt.
  function renderConcordance(concordance) {
    kpi("concordance", show(concordance.total.share, " %"));
    kpi("concordance_note", count(text.ofPoints, concordance.total));
    fillTable("concordance", concordance.by_therapist);
  }

  function render(outcomes, muscles, curve, psfs, rom, book, concordance) {
    renderOperations(book);
    renderConcordance(concordance);
    const total = outcomes.total;
    kpi("patients", show(total.patients));
    kpi("courses", text.courses + ": " + show(total.courses));
    kpi("pain", show(total.mean_baseline) + " → " + show(total.mean_latest));
    kpi("change", show(total.mean_change) + " (" + show(total.percent_change, " %") + ")");
    kpi("responder_rate", show(total.responder_rate, " %"));
    kpi("responders", show(total.responders) + " / " + show(total.evaluated) + " " +
      text.evaluated + ", " + show(total.excluded_low_baseline) + " " + text.leftOut);
    kpi("psfs", (psfs.mean_change > 0 ? "+" : "") + show(psfs.mean_change));
    kpi("psfs_note", show(psfs.improved) + " / " + show(psfs.patients) + " " + text.improved);
    const after = curve.points[2];
    kpi("check_in", show(after.mean));
    kpi("check_in_note", text.sessions + ": " + show(curve.sessions));
    document.getElementById("dash-empty").hidden = total.courses > 0;

    const months = outcomes.by_month;
    const [accent, bad, faint] = ["chart-1", "chart-2", "chart-faint"].map(window.Clinic.colour);
    draw("chart-months", "bar", months.map((m) => m.month), [
      { type: "bar", label: text.responderRate, data: months.map((m) => m.responder_rate), yAxisID: "rate", backgroundColor: accent },
      { type: "line", label: text.meanChange, data: months.map((m) => m.mean_change), yAxisID: "change", borderColor: bad },
    ], { scales: { rate: { position: "left", min: 0, max: 100 }, change: { position: "right" } } });
    draw("chart-curve", "line", curve.points.map((p) => p.label), [
      { label: text.meanPain, data: curve.points.map((p) => p.mean), borderColor: accent, tension: 0.2 },
    ], { scales: { y: { min: 0, max: 10 } } });
    const top = muscles.slice(0, 12);
    draw("chart-muscles", "bar", top.map((m) => m.muscle_name), [
      { label: text.releasedShare, data: top.map((m) => m.share_released), backgroundColor: accent },
    ], { indexAxis: "y", scales: { x: { min: 0, max: 100 } } });
    draw("chart-rom", "bar", rom.map((r) => r.joint + " " + r.name), [
      { label: text.first, data: rom.map((r) => r.first_percent_of_normal), backgroundColor: faint },
      { label: text.latest, data: rom.map((r) => r.latest_percent_of_normal), backgroundColor: accent },
    ], { scales: { y: { min: 0 } } });

    fillTable("therapists", outcomes.by_therapist);
    fillTable("cohorts", outcomes.by_cohort);
    fillTable("months", months);
    fillTable("muscles", muscles);
    fillTable("rom", rom);
  }

  async function load() {
    if (!form.reportValidity()) return;
    const qs = query();
    const mine = ++generation; // a slower earlier answer must not overwrite a newer one
    root.dataset.state = "loading";
    const error = document.getElementById("dash-error");
    try {
      // One report at a time: each is a whole-clinic aggregate, and five at once would only
      // compete for the same database CPU (and share one connection in the SQLite test server).
      const answers = [];
      for (const name of ["outcomes", "trigger-points", "check-in-curve", "psfs", "rom", "operations", "concordance"]) {
        answers.push(await read(config.urls[name], qs));
        if (mine !== generation) return;
      }
      if (mine !== generation) return;
      render(...answers);
      showFieldErrors({});
      error.hidden = true;
      root.dataset.query = qs;
      root.dataset.state = "ready";
    } catch (exc) {
      if (mine !== generation) return;
      if (showFieldErrors(exc)) {
        error.hidden = true;
        root.dataset.state = "invalid";
        return;
      }
      console.error(exc);
      error.textContent = text.failed;
      error.hidden = false;
      root.dataset.state = "failed";
    }
  }

  // A 400 names the filters it refuses (an inverted period, say): each message goes next to its
  // input, as a form does, rather than a generic failure.
  function showFieldErrors(exc) {
    const errors = exc.status === 400 && exc.answer && exc.answer.data;
    const slots = [...form.querySelectorAll("[data-error-for]")];
    const named = slots.filter((slot) => errors && errors[slot.dataset.errorFor]);
    for (const slot of slots) {
      const messages = named.includes(slot) ? [].concat(errors[slot.dataset.errorFor]) : [];
      slot.textContent = messages.join(" ");
      slot.hidden = !messages.length;
      form.elements[slot.dataset.errorFor].setAttribute("aria-invalid", String(messages.length > 0));
    }
    return named.length > 0;
  }

  function download(key) {
    const section = root.querySelector('[data-table="' + key + '"]');
    const headers = [...section.querySelectorAll("th")].map((th) => th.textContent);
    const columns = config.tables[key];
    const lines = [headers, ...(rows[key] || []).map((row) => columns.map((c) => row[c]))];
    const params = new URLSearchParams(root.dataset.query || "");
    const name = [key, params.get("date_from"), params.get("date_to")].filter(Boolean).join("_");
    window.Clinic.csv.download(name + ".csv", lines);
  }

  let searchTimer;
  async function searchPatients(term) {
    const list = document.getElementById("patient-results");
    if (term.trim().length < 2) { list.replaceChildren(); return; }
    const page = await read(config.patients, new URLSearchParams({ search: term, page_size: 10 }).toString());
    if (!page.results.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = text.noPatient;
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...page.results.map((p) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = config.progress.replace(/\/0\/$/, "/" + p.id + "/");
      a.textContent = p.first_name + " " + p.last_name + " (" + p.date_of_birth + ")";
      li.append(a);
      return li;
    }));
  }

  form.addEventListener("change", load);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-csv]");
    if (button) download(button.dataset.csv);
  });
  document.getElementById("patient-search").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("patient-q").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => searchPatients(event.target.value), 250);
  });
  load();
})();
