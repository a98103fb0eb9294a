// The session recording page: pain before/after, the trigger-point body map with a hold timer,
// range of motion and the SOAP note. The page saves the whole draft as the therapist works
// (POST JSON to the draft URL); a copy is kept in localStorage until the server has it, so a
// network error or a closed tab loses nothing.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("session-data").textContent);
  const form = document.getElementById("session-form");
  const statusEl = document.getElementById("save-status");
  // v2: the draft schema of sessions.serializers (muscle slugs, flat SOAP fields). A copy kept in
  // the older shape is not restored: read as v2 it would record the wrong muscle.
  const backupKey = `session-draft-v2-${data.session_id}`;
  const t = (text) => (window.gettext ? window.gettext(text) : text);

  // The draft names a muscle by its slug and a movement by its code (sessions.serializers).
  const muscles = Object.fromEntries(data.muscles.map((m) => [m.slug, m]));
  const movements = Object.fromEntries(data.movements.map((m) => [m.code, m]));

  // --- small DOM helpers -----------------------------------------------------------------------
  let uid = 0;
  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k in node && k !== "list") node[k] = v;
      else node.setAttribute(k, v);
    });
    children.forEach((c) => node.appendChild(c));
    return node;
  }
  function select(field, choices, value, label) {
    const id = `f${++uid}`;
    const s = el("select", { id, "data-field": field });
    choices.forEach(([v, text]) => s.add(new Option(text, v)));
    if (value !== undefined && value !== null) s.value = String(value);
    return labelled(label, s);
  }
  function number(field, value, label, attrs = {}) {
    const id = `f${++uid}`;
    const input = el("input", { id, type: "number", inputmode: "decimal", "data-field": field, ...attrs });
    input.value = value === null || value === undefined ? "" : String(value);
    return labelled(label, input);
  }
  function checkbox(field, checked, label) {
    const id = `f${++uid}`;
    const input = el("input", { id, type: "checkbox", "data-field": field });
    input.checked = Boolean(checked);
    const wrap = el("span", { class: "field check" }, [input, el("label", { for: id, text: label })]);
    return wrap;
  }
  function text(field, value, label) {
    const id = `f${++uid}`;
    const input = el("input", { id, type: "text", "data-field": field, maxlength: "200" });
    input.value = value || "";
    return labelled(label, input);
  }
  function labelled(label, control) {
    return el("span", { class: "field" }, [el("label", { for: control.id, text: label, class: "field-label" }), control]);
  }
  function removeButton(row, label) {
    const b = el("button", { type: "button", class: "link remove", text: t("Remove"), "aria-label": label });
    b.addEventListener("click", () => {
      if (row.referral) {
        if (referralCard() === row) setTapping(row, false);
        clearZonesOf(row);
      }
      row.remove();
      refreshPoints();
      changed();
    });
    return b;
  }
  const read = (row, field) => {
    const input = row.querySelector(`[data-field="${field}"]`);
    if (!input) return null;
    if (input.type === "checkbox") return input.checked;
    return input.value === "" ? null : input.value;
  };

  // --- pain rows -------------------------------------------------------------------------------
  function addPain(source, item = {}) {
    const body = form.querySelector(`[data-pain-source="${source}"]`);
    const row = el("tr", { class: "pain-entry" });
    row.dataset.source = source;
    const cells = [
      select("region", data.regions, item.region, t("Region")),
      select("side", data.sides, item.side || "both", t("Side")),
      number("score", item.score, t("Pain 0-10"), { min: "0", max: "10", step: "1", inputmode: "numeric" }),
      checkbox("unable_to_rate", item.unable_to_rate, t("Unable to rate")),
    ];
    cells.forEach((c) => row.appendChild(el("td", {}, [c])));
    row.appendChild(el("td", {}, [removeButton(row, t("Remove this pain score"))]));
    body.appendChild(row);
    return row;
  }

  // --- trigger points --------------------------------------------------------------------------
  const pointsEl = document.getElementById("points");
  const chart = window.BodyChart.attach(document.getElementById("body-map"), {
    onPick: (pick) => {
      const tapping = referralCard();
      if (tapping) {
        toggleReferral(tapping, { region: pick.region, side: pick.side });
        changed();
        return;
      }
      const guess = guessMuscle(pick);
      const card = addPoint({ ...guess, chart_view: pick.view, x: pick.x, y: pick.y });
      document.getElementById("map-pick").textContent = pick.label;
      card.querySelector('[data-field="tenderness"]').focus();
      changed();
    },
    onMarker: (key) => {
      if (key.startsWith("prev-")) {
        const p = data.previous_points[Number(key.slice(5))];
        const card = addPoint({
          muscle: p.muscle, side: p.side, chart_view: p.chart_view, x: p.x, y: p.y,
        });
        card.querySelector('[data-field="tenderness"]').focus();
        changed();
      } else {
        const card = pointsEl.querySelector(`[data-key="${key}"]`);
        if (card) card.querySelector("select").focus();
      }
    },
  });

  function sideAt(view, x) {
    if (Math.abs(x - 0.5) < 0.015) return "midline";
    const viewerLeft = view === "front" ? "right" : "left";
    return x < 0.5 ? viewerLeft : viewerLeft === "right" ? "left" : "right";
  }

  // The muscle under the finger when the chart names one (and the side of the shape, unless it
  // is a midline region); otherwise the nearest catalogued muscle on that view (each muscle sits
  // on both halves, mirrored), preferring muscles of the region that was clicked. The therapist
  // corrects it if needed.
  function guessMuscle({ view, region, side, muscle, x, y }) {
    const bodySide = side === "left" || side === "right" ? side : sideAt(view, x);
    if (muscle && muscles[muscle]) return { muscle, side: bodySide };
    let best = null;
    data.muscles.forEach((m) => {
      if (m.chart_view !== view) return;
      const d = Math.min(Math.hypot(x - m.chart_x, y - m.chart_y), Math.hypot(x - (1 - m.chart_x), y - m.chart_y));
      const score = m.region === region ? d * 0.5 : d;
      if (!best || score < best.score) best = { score, slug: m.slug };
    });
    return { muscle: best ? best.slug : data.muscles[0].slug, side: bodySide };
  }

  function addPoint(item) {
    const key = `p${++uid}`;
    const card = el("fieldset", { class: "point card" });
    card.dataset.key = key;
    card.dataset.view = item.chart_view;
    card.dataset.x = item.x;
    card.dataset.y = item.y;
    const legend = el("legend");
    card.appendChild(legend);
    const muscleChoices = data.muscles.map((m) => [m.slug, m.name]);
    const hold = number("hold_seconds", item.hold_seconds, t("Hold (seconds)"), { min: "0", max: "600", inputmode: "numeric" });
    const timer = el("button", { type: "button", class: "secondary timer", text: t("Start hold timer") });
    const bar = el("progress", { class: "hold-bar", max: "1", value: "0", hidden: true, "aria-hidden": "true" });
    const countdown = el("span", { class: "hold-countdown", "aria-live": "polite" });
    hold.append(timer, bar, countdown);
    const grid = el("div", { class: "point-grid" }, [
      select("muscle", muscleChoices, item.muscle, t("Muscle")),
      select("side", data.sides, item.side, t("Side")),
      select("kind", data.kinds, item.kind || "active", t("Active or latent")),
      number("tenderness", item.tenderness, t("Tenderness 0-10"), { min: "0", max: "10", inputmode: "numeric" }),
      number("pressure_pain_threshold", item.pressure_pain_threshold, t("Pressure-pain threshold (kg/cm²)"), { min: "0", max: "20", step: "0.01" }),
      text("referral_pattern", item.referral_pattern, t("Referral pattern")),
      referralField(card, item.referral_regions || []),
      checkbox("local_twitch_response", item.local_twitch_response, t("Local twitch response")),
      select("technique", data.techniques, item.technique || "ischemic_compression", t("Technique")),
      hold,
      number("repetitions", item.repetitions ?? 1, t("Repetitions"), { min: "1", max: "10", inputmode: "numeric" }),
      number("pressure", item.pressure, t("Pressure 0-10"), { min: "0", max: "10", inputmode: "numeric" }),
      checkbox("released", item.released, t("Released")),
    ]);
    card.appendChild(grid);
    card.appendChild(removeButton(card, t("Remove this trigger point")));
    window.HoldTimer.attach({
      button: timer, input: hold.querySelector("input"), bar, text: countdown,
      target: () => data.hold_targets[read(card, "technique")] || 0,
      sound: () => document.getElementById("hold-sound").checked,
      onStop: changed,
    });
    card.addEventListener("change", () => {
      refreshPoints();
      showZones(card);
    });
    card.addEventListener("focusin", () => showZones(card));
    pointsEl.appendChild(card);
    refreshPoints();
    showZones(card);
    return card;
  }

  // --- the referral atlas: a point's zones on the chart, and the referral the patient reports --
  const regionLabels = Object.fromEntries(data.regions);
  const words = data.atlas_strings;
  const sideWords = { left: words.left, right: words.right };
  let zonesCard = null;

  // Mirrors sessions.models.zone_sides: where a zone lies for a point on `pointSide`.
  function zoneSides(relation, pointSide) {
    if (relation === "midline") return ["midline"];
    if (relation === "both" || (pointSide !== "left" && pointSide !== "right")) return ["left", "right"];
    if (relation === "same") return [pointSide];
    return [pointSide === "left" ? "right" : "left"];
  }

  // "Head" (a region drawn once), "Shoulder, right", "Upper arm, left and right".
  function regionWords(region, sides) {
    const label = regionLabels[region] || region;
    const drawnOnce = document.querySelector(`#body-map .region[data-region="${region}"][data-side="midline"]`);
    const paired = sides.filter((side) => sideWords[side]);
    if (drawnOnce || !paired.length) return label;
    return `${label}, ${paired.map((side) => sideWords[side]).join(` ${words.and} `)}`;
  }

  function showZones(card) {
    zonesCard = card;
    const slug = read(card, "muscle");
    const side = read(card, "side");
    const zones = (data.atlas[slug] || []).map((z) => ({
      region: z.region, essential: z.essential, sides: zoneSides(z.side_relation, side),
    }));
    chart.highlightZones(zones);
    const legend = document.getElementById("zone-legend");
    const m = muscles[slug];
    const zoneWords = (essential) => zones.filter((z) => z.essential === essential)
      .map((z) => regionWords(z.region, z.sides)).join("; ") || "—";
    document.getElementById("zone-title").textContent =
      `${words.zonesOf} ${card.querySelector("legend").textContent}`;
    document.getElementById("zone-essential").textContent = zoneWords(true);
    document.getElementById("zone-spillover").textContent = zoneWords(false);
    legend.hidden = !m;
    document.getElementById("referral-hint").hidden = referralCard() !== card;
  }

  function clearZonesOf(card) {
    if (zonesCard !== card) return;
    zonesCard = null;
    chart.clearZones();
    document.getElementById("zone-legend").hidden = true;
  }

  function referralCard() {
    return pointsEl.querySelector(".point .referral-toggle[aria-pressed='true']")?.closest(".point") || null;
  }

  function referralField(card, regions) {
    card.referral = regions.map((r) => ({ region: r.region, side: r.side }));
    const button = el("button", {
      type: "button", class: "secondary referral-toggle", "aria-pressed": "false",
      text: words.tap,
    });
    const list = el("span", { class: "referral-list", "aria-live": "polite" });
    button.addEventListener("click", () => setTapping(card, button.getAttribute("aria-pressed") !== "true"));
    const wrap = el("span", { class: "field referral-field" }, [
      el("span", { class: "field-label", text: words.reported }), button, list,
    ]);
    card.referralList = list;
    card.referralButton = button;
    renderReferral(card);
    return wrap;
  }

  function markReferral(card, selected) {
    card.referral.forEach((r) => chart.setSelected(r.region, r.side, selected));
  }

  // One point at a time takes the chart's taps as its referral; tapping "Done" gives them back.
  function setTapping(card, on) {
    const current = referralCard();
    if (current) {
      current.referralButton.setAttribute("aria-pressed", "false");
      current.referralButton.textContent = words.tap;
      markReferral(current, false);
    }
    if (on) {
      card.referralButton.setAttribute("aria-pressed", "true");
      card.referralButton.textContent = words.done;
      markReferral(card, true);
    }
    showZones(card);
  }

  function toggleReferral(card, pick) {
    const at = card.referral.findIndex((r) => r.region === pick.region && r.side === pick.side);
    if (at >= 0) card.referral.splice(at, 1);
    else card.referral.push(pick);
    chart.setSelected(pick.region, pick.side, at < 0);
    renderReferral(card);
  }

  function renderReferral(card) {
    card.referralList.textContent = card.referral.length
      ? card.referral.map((r) => regionWords(r.region, [r.side])).join("; ")
      : words.none;
  }

  // --- check these first -----------------------------------------------------------------------
  const suggestionsEl = document.getElementById("suggestions");
  function viewerLeft(view) {
    return view === "front" ? "right" : "left";
  }
  function addSuggested(slug, side) {
    const m = muscles[slug];
    const x = side === viewerLeft(m.chart_view) ? m.chart_x : 1 - m.chart_x;
    const card = addPoint({ muscle: slug, side, chart_view: m.chart_view, x, y: m.chart_y });
    card.querySelector('[data-field="tenderness"]').focus();
    changed();
  }
  function renderSuggestions(found) {
    suggestionsEl.replaceChildren();
    found.suggestions.forEach((s) => {
      const sides = s.side === "both" ? ["left", "right"] : [s.side];
      const buttons = sides.map((side) => {
        const b = el("button", {
          type: "button", class: "secondary small",
          text: `${words.mark}: ${s.muscle_name}, ${sideWords[side]}`,
        });
        b.addEventListener("click", () => addSuggested(s.muscle, side));
        return b;
      });
      suggestionsEl.appendChild(el("li", { class: "suggestion" }, [
        el("strong", { class: "suggestion-name", text: `${s.muscle_name} — ${s.side_label}` }),
        el("span", { class: "suggestion-why", text: s.why }),
        el("span", { class: "suggestion-actions" }, buttons),
      ]));
    });
    document.getElementById("suggestions-empty").hidden = found.suggestions.length > 0;
  }
  // The list follows the pain rated before the session: asked again after a save that changed it.
  let suggestedFor = null;
  async function refreshSuggestions(payload) {
    const before = JSON.stringify(payload.pain.filter((p) => p.source === "pre_session"));
    if (before === suggestedFor) return;
    suggestedFor = before;
    try {
      renderSuggestions(await window.Clinic.getJson(data.suggestions_url));
    } catch (error) {
      // The list shown stays; the next save asks again.
      suggestedFor = null;
    }
  }

  function refreshPoints() {
    chart.clearMarkers("current");
    const cards = [...pointsEl.querySelectorAll(".point")];
    cards.forEach((card, i) => {
      const m = muscles[read(card, "muscle")];
      const side = data.sides.find(([v]) => v === read(card, "side"));
      const label = `${i + 1}. ${m ? m.name : ""} — ${side ? side[1] : ""}`;
      card.querySelector("legend").textContent = label;
      pointInsight(card);
      chart.addMarker({
        key: card.dataset.key, view: card.dataset.view, x: Number(card.dataset.x), y: Number(card.dataset.y),
        label, className: "current",
      });
    });
    document.getElementById("points-empty").hidden = cards.length > 0;
  }

  // --- perpetuating factors, the reference site and forecasts (issue 17) -----------------------
  const factorsEl = document.getElementById("factors");
  Object.entries(data.factor_labels).forEach(([code, label]) => {
    const box = checkbox("factors", false, label);
    box.querySelector("input").value = code;
    factorsEl.appendChild(box);
  });
  const checkedFactors = () => [...factorsEl.querySelectorAll("input:checked")].map((i) => i.value);
  factorsEl.addEventListener("change", () => refreshPoints());
  const referenceEl = document.getElementById("reference-thresholds");
  function addReference(side) {
    const sideName = (data.sides.find(([v]) => v === side) || [side, side])[1];
    const name = (muscles[data.reference_muscle] || {}).name || data.reference_muscle;
    const field = number("pressure_pain_threshold", null, `${name}, ${sideName} (kg/cm²)`, { min: "0", max: "20", step: "0.01" });
    field.classList.add("reference-row");
    field.dataset.side = side;
    field.dataset.muscle = data.reference_muscle;
    referenceEl.appendChild(field);
  }
  ["left", "right"].forEach(addReference);
  const referenceRows = () => [...referenceEl.querySelectorAll(".reference-row")].filter((r) => read(r, "pressure_pain_threshold") !== null);

  // The clinic's forecast for a point as soon as it is placed: the finest group (muscle, kind,
  // the patient's chronicity) with enough points, and "not responding" once the point is still
  // unreleased after as many sessions as 80 % of comparable points needed.
  function forecastFor(muscle, kind) {
    const rows = data.forecasts.filter((f) => f.points >= data.forecast_min_points && (
      f.level === 0 || (f.muscle_slug === muscle && (f.level === 1 || (f.kind === kind)))));
    rows.sort((a, b) => b.level - a.level);
    return rows[0] || null;
  }
  function pointInsight(card) {
    const muscle = read(card, "muscle");
    const [before, releasedBefore] = data.point_history[`${muscle}|${read(card, "side")}`] || [0, false];
    const sessions = before + 1;
    const lines = [];
    const f = forecastFor(muscle, read(card, "kind"));
    let flag = false;
    if (!f) {
      lines.push(t("Sessions to release: not enough history in this clinic yet."));
    } else {
      const range = f.q25 ? ` (${f.q25}–${f.q75 || "?"})` : "";
      const median = f.median ? `${t("median")} ${f.median}${range}` : t("median not reached");
      lines.push(`${t("Sessions to release")}: ${median} · ${t("this is session")} ${sessions} · ${t("based on")} ${data.forecast_levels[f.level]}, ${f.points} ${t("points")}`);
      flag = !releasedBefore && !read(card, "released") && f.p80 !== null && sessions >= f.p80;
      if (flag) lines.push(`${t("Not responding: still unreleased after")} ${sessions} ${t("sessions (80 % of comparable points had released). Re-assess, or consider referral.")}`);
    }
    const loading = checkedFactors().filter((code) => (data.factor_muscles[code] || []).includes(muscle));
    if (loading.length) lines.push(`${t("Kept loaded by")}: ${loading.map((c) => data.factor_labels[c]).join(", ")}`);
    let box = card.querySelector(".point-insight");
    if (!box) {
      box = el("p", { class: "point-insight muted", "aria-live": "polite" });
      card.querySelector(".point-grid").insertAdjacentElement("beforebegin", box);
    }
    box.classList.toggle("flag-bad", flag);
    box.replaceChildren(...lines.flatMap((line, i) => (i ? [el("br"), document.createTextNode(line)] : [document.createTextNode(line)])));
  }

  // --- range of motion -------------------------------------------------------------------------
  const mobilityBody = document.getElementById("mobility");
  function addMobility(item = {}) {
    const row = el("tr", { class: "mobility-row" });
    const choices = data.movements.map((m) => [m.code, `${m.joint} — ${m.name}`]);
    const normal = el("span", { class: "normal" });
    const degrees = number("degrees", item.degrees, t("Degrees"), { min: "0", max: "360", inputmode: "numeric" });
    const cells = [
      select("movement", choices, item.movement, t("Movement")),
      select("side", data.sides, item.side || "right", t("Side")),
      degrees,
      normal,
      select("method", data.methods, item.method || "goniometer", t("Method")),
    ];
    cells.forEach((c) => row.appendChild(el("td", {}, [c])));
    row.appendChild(el("td", {}, [removeButton(row, t("Remove this measurement"))]));
    // The movement's plausible maximum bounds the input; beyond it there is no % to show.
    const showNormal = () => {
      const m = movements[read(row, "movement")];
      const value = read(row, "degrees");
      if (m) degrees.querySelector("input").max = String(m.max_degrees);
      let percent = "";
      if (m && value !== null) {
        percent = Number(value) > m.max_degrees
          ? ` · ${t("above the plausible")} ${m.max_degrees}°`
          : ` · ${Math.round((100 * Number(value)) / m.normal_degrees)}%`;
      }
      normal.textContent = m ? `${m.normal_degrees}°${percent}` : "";
    };
    row.addEventListener("input", showNormal);
    row.addEventListener("change", showNormal);
    mobilityBody.appendChild(row);
    showNormal();
    return row;
  }

  // --- state: collect, restore -----------------------------------------------------------------
  let sentRows = { pain: [], trigger_points: [], mobility: [], reference_thresholds: [] };

  function collect() {
    const rows = {
      pain: [...form.querySelectorAll(".pain-entry")].sort((a, b) =>
        a.dataset.source === b.dataset.source ? 0 : a.dataset.source === "pre_session" ? -1 : 1),
      trigger_points: [...pointsEl.querySelectorAll(".point")],
      mobility: [...mobilityBody.querySelectorAll(".mobility-row")],
      reference_thresholds: referenceRows(),
    };
    const payload = {};
    form.querySelectorAll(".soap [data-field]").forEach((input) => { payload[input.dataset.field] = input.value; });
    Object.assign(payload, {
      pain: rows.pain.map((r) => ({
        source: r.dataset.source, region: read(r, "region"), side: read(r, "side"),
        score: read(r, "score"), unable_to_rate: read(r, "unable_to_rate"),
      })),
      trigger_points: rows.trigger_points.map((c) => ({
        muscle: read(c, "muscle"), side: read(c, "side"), chart_view: c.dataset.view,
        x: Number(c.dataset.x), y: Number(c.dataset.y), kind: read(c, "kind"),
        tenderness: read(c, "tenderness"), pressure_pain_threshold: read(c, "pressure_pain_threshold"),
        referral_pattern: read(c, "referral_pattern") || "", referral_regions: c.referral,
        local_twitch_response: read(c, "local_twitch_response"),
        technique: read(c, "technique"), hold_seconds: read(c, "hold_seconds"),
        repetitions: read(c, "repetitions"), pressure: read(c, "pressure"), released: read(c, "released"),
      })),
      mobility: rows.mobility.map((r) => ({
        movement: read(r, "movement"), side: read(r, "side"), degrees: read(r, "degrees"), method: read(r, "method"),
      })),
      factors: checkedFactors(),
      reference_thresholds: rows.reference_thresholds.map((r) => ({
        muscle: r.dataset.muscle, side: r.dataset.side, pressure_pain_threshold: read(r, "pressure_pain_threshold"),
      })),
    });
    return { payload, rows };
  }

  function restore(state) {
    form.querySelectorAll(".pain-entry, .mobility-row").forEach((r) => r.remove());
    chart.clearZones();
    document.getElementById("zone-legend").hidden = true;
    pointsEl.replaceChildren();
    form.querySelectorAll(".soap [data-field]").forEach((input) => {
      const value = state[input.dataset.field];
      if (value !== undefined) input.value = value === null ? "" : String(value);
    });
    (state.pain || []).forEach((p) => addPain(p.source, p));
    (state.trigger_points || []).forEach((p) => addPoint(p));
    (state.mobility || []).forEach((m) => addMobility(m));
    const found = new Set(state.factors || []);
    factorsEl.querySelectorAll("input").forEach((i) => { i.checked = found.has(i.value); });
    referenceEl.querySelectorAll(".reference-row input").forEach((i) => { i.value = ""; });
    (state.reference_thresholds || []).forEach((r) => {
      if (!referenceEl.querySelector(`.reference-row[data-side="${r.side}"]`)) addReference(r.side);
      const row = referenceEl.querySelector(`.reference-row[data-side="${r.side}"]`);
      row.dataset.muscle = r.muscle;
      row.querySelector("input").value = r.pressure_pain_threshold ?? "";
    });
    refreshPoints();
  }

  // --- saving ----------------------------------------------------------------------------------
  let timer = null;
  let inFlight = false;
  let again = false;
  let dirty = false;

  function setStatus(message, kind) {
    statusEl.textContent = message;
    statusEl.className = `save-status ${kind || ""}`;
  }

  function changed() {
    dirty = true;
    localStorage.setItem(backupKey, JSON.stringify({ at: Date.now(), state: collect().payload }));
    setStatus(t("Unsaved changes…"), "pending");
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((e) => e.remove());
    form.querySelectorAll("[aria-invalid]").forEach((e) => {
      e.removeAttribute("aria-invalid");
      e.classList.remove("invalid");
    });
  }

  function showErrors(errors) {
    clearErrors();
    const general = [];
    Object.entries(errors).forEach(([key, messages]) => {
      const parts = key.split(".");
      let input = null;
      if (parts.length === 3 && sentRows[parts[0]]) {
        const row = sentRows[parts[0]][Number(parts[1])];
        const name = parts[2];
        input = row && row.querySelector(`[data-field="${name}"]`);
      } else if (parts.length === 2 && parts[0] === "pain") {
        // A missing rating before or after the session: said under that table's button.
        input = form.querySelector(`[data-add-pain="${parts[1]}"]`);
      } else if (parts.length === 1) {
        input = form.querySelector(`.soap [data-field="${key}"]`);
      }
      if (!input) {
        general.push(...messages);
        return;
      }
      input.setAttribute("aria-invalid", "true");
      input.classList.add("invalid");
      const message = el("span", { class: "field-error error", id: `${input.id}-error`, text: messages.join(" ") });
      input.setAttribute("aria-describedby", message.id);
      input.insertAdjacentElement("afterend", message);
    });
    return general;
  }

  async function save({ keepalive = false } = {}) {
    clearTimeout(timer);
    if (inFlight) {
      again = true;
      return;
    }
    const { payload, rows } = collect();
    inFlight = true;
    setStatus(t("Saving…"), "pending");
    try {
      const answer = await window.Clinic.request(data.draft_url, { method: "POST", keepalive, body: payload });
      sentRows = rows;
      document.dispatchEvent(new Event("clinic:activity"));
      if (answer.ok) {
        dirty = false;
        clearErrors();
        localStorage.removeItem(backupKey);
        setStatus(`${t("Saved")} ${new Date().toLocaleTimeString()}`, "ok");
        refreshSuggestions(payload);
      } else if (answer.status === 400) {
        const general = showErrors(answer.data.errors || {});
        setStatus(`${t("Not saved: correct the highlighted fields.")} ${general.join(" ")}`, "bad");
      } else if (answer.retryAfter !== null) {
        // The server was too busy (it retried and gave up): nothing was written. The copy in
        // this browser stays, and the draft is sent again when the server says to.
        setStatus(`${answer.message || t("Not saved.")} ${t("Your changes are kept on this device and will be saved in a moment.")}`, "bad");
        clearTimeout(timer);
        timer = setTimeout(save, answer.retryAfter * 1000);
      } else {
        setStatus(answer.message || t("Not saved."), "bad");
      }
    } catch (error) {
      setStatus(t("Not saved: the connection failed. Your changes are kept on this device and will be saved when it is back."), "bad");
      clearTimeout(timer);
      timer = setTimeout(save, 5000);
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        save();
      }
    }
  }

  // --- wiring ----------------------------------------------------------------------------------
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => event.preventDefault());
  form.querySelectorAll("[data-add-pain]").forEach((b) =>
    b.addEventListener("click", () => {
      addPain(b.dataset.addPain).querySelector("select").focus();
      changed();
    }));
  document.getElementById("add-mobility").addEventListener("click", () => {
    addMobility().querySelector("select").focus();
    changed();
  });
  // Save before leaving: on tab switch or close, a keepalive request survives the page.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && dirty) save({ keepalive: true });
  });
  document.addEventListener("clinic:idle-expiring", () => {
    if (dirty) save({ keepalive: true });
  });
  window.addEventListener("pagehide", () => {
    if (dirty) save({ keepalive: true });
  });
  // Signing flushes the draft first, so what is signed is what is on screen.
  document.getElementById("sign-form").addEventListener("submit", async (event) => {
    if (!dirty) return;
    event.preventDefault();
    await save();
    if (!dirty) event.target.submit();
  });

  // The body map stays in view beside the point being edited: the map and the points are one
  // screen tall from tablet portrait up (app.css), so bring all of it into view when a point's
  // field takes the focus and part of it is off screen.
  const mapLayout = pointsEl.closest(".map-layout");
  pointsEl.addEventListener("focusin", () => {
    const box = mapLayout.getBoundingClientRect();
    if (window.innerWidth < 768 || box.height > window.innerHeight) return;
    if (box.top < 0 || box.bottom > window.innerHeight) mapLayout.scrollIntoView({ block: "nearest" });
  });

  // --- faster than paper: templates and last session's points -------------------------------
  const soapInputs = () => [...form.querySelectorAll(".soap textarea[data-field]")];
  const picker = document.getElementById("soap-template");
  if (data.templates.length) {
    data.templates.forEach((tpl) => picker.add(new Option(tpl.name, String(tpl.id))));
    document.getElementById("template-picker").hidden = false;
  }
  // A template fills what is empty and is added below what was already typed.
  document.getElementById("insert-template").addEventListener("click", () => {
    const chosen = data.templates.find((tpl) => String(tpl.id) === picker.value);
    if (!chosen) return;
    soapInputs().forEach((input) => {
      const wording = chosen[input.dataset.field];
      if (!wording) return;
      input.value = input.value.trim() ? `${input.value.trimEnd()}\n${wording}` : wording;
    });
    changed();
  });

  // Last session's points come back to be re-assessed (tenderness empty until rated, which
  // signing asks for), with where they were and how they were treated; and its plan.
  const forward = data.copy_forward;
  const copyButton = document.getElementById("copy-forward");
  if (forward && ((forward.trigger_points || []).length || forward.plan)) {
    copyButton.hidden = false;
    copyButton.addEventListener("click", () => {
      const present = new Set([...pointsEl.querySelectorAll(".point")].map(
        (c) => `${read(c, "muscle")}|${read(c, "side")}`));
      forward.trigger_points
        .filter((p) => !present.has(`${p.muscle}|${p.side}`))
        .forEach((p) => addPoint(p));
      const plan = form.querySelector('.soap [data-field="plan"]');
      if (forward.plan && !plan.value.trim()) plan.value = forward.plan;
      copyButton.hidden = true;
      changed();
    });
  }

  // The sound cue is the therapist's choice on this device, kept between sessions.
  const holdSound = document.getElementById("hold-sound");
  holdSound.checked = localStorage.getItem("hold-sound") === "on";
  holdSound.addEventListener("change", () => localStorage.setItem("hold-sound", holdSound.checked ? "on" : "off"));

  document.getElementById("discard-form").addEventListener("submit", (event) => {
    if (!window.confirm(t("Discard this draft? It leaves your lists and the patient's charts."))) {
      event.preventDefault();
    }
  });

  data.previous_points.forEach((p, i) => {
    chart.addMarker({
      key: `prev-${i}`, view: p.chart_view, x: p.x, y: p.y, className: "previous",
      label: `${t("Last session")}: ${p.muscle_name} (${p.tenderness ?? "—"}/10${p.released ? ", " + t("released") : ""})`,
    });
  });

  renderSuggestions(data.suggestions);
  suggestedFor = JSON.stringify((data.state.pain || []).filter((p) => p.source === "pre_session"));

  // A copy newer than the server's draft holds changes that never reached it: put them back.
  const backup = JSON.parse(localStorage.getItem(backupKey) || "null");
  if (backup && backup.at > Date.parse(data.updated_at)) {
    restore(backup.state);
    setStatus(t("Restored changes that had not been saved yet; saving…"), "pending");
    dirty = true;
    save();
  } else {
    restore(data.state);
  }
  // A refused signature: what is missing, marked on the fields it names.
  if (Object.keys(data.sign_errors).length) {
    sentRows = collect().rows;
    showErrors(data.sign_errors);
  }
  // Typing is captured from here on; until then the page only looks ready.
  form.dataset.ready = "true";
})();
