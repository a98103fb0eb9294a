// The one module every page script shares (loaded by base.html before them): the CSRF token,
// JSON requests with the server's error conventions, CSV files, and chart colours.
//
// Clinic.request(url, {method, body, keepalive}) sends JSON and answers
//   {ok, status, data, message, retryAfter}: `message` is the server's own words
//   (errors.__all__ or detail), `retryAfter` the seconds a 503 asks to wait (the server retried
//   a deadlock and gave up: nothing was written). A failed connection throws.
// Clinic.getJson(url) reads JSON, waits out a 503's Retry-After twice, and throws otherwise.
// Clinic.csv.lines(rows) / Clinic.csv.download(name, rows): the same escaping rule as the
//   server's (clinic/spreadsheet.py).
// Clinic.colour(name) / Clinic.palette() / Clinic.chartDefaults(): colours from app.css's
//   custom properties, so a change of theme reaches every chart.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- requests ------------------------------------------------------------------------------
  const RETRY_AFTER_DEFAULT = 5;
  const RETRY_AFTER_MAX = 60;
  const READ_RETRIES = 2;

  function retryAfterSeconds(response) {
    const seconds = Number(response.headers.get("Retry-After")) || RETRY_AFTER_DEFAULT;
    return Math.min(Math.max(seconds, 0), RETRY_AFTER_MAX);
  }

  function messageOf(data) {
    const general = (data && data.errors && data.errors.__all__) || (data && data.detail) || "";
    return Array.isArray(general) ? general.join(" ") : String(general);
  }

  async function request(url, { method = "GET", body, keepalive = false } = {}) {
    const headers = { Accept: "application/json" };
    const init = { method, keepalive, credentials: "same-origin", headers };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const data = await response.json().catch(() => ({}));
    return {
      ok: response.ok,
      status: response.status,
      data,
      message: messageOf(data),
      retryAfter: response.status === 503 ? retryAfterSeconds(response) : null,
    };
  }

  class RequestError extends Error {
    constructor(url, answer) {
      super(`${url} answered ${answer.status}`);
      this.status = answer.status;
      this.answer = answer;
    }
  }

  const pause = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

  async function getJson(url) {
    for (let attempt = 0; ; attempt += 1) {
      const answer = await request(url);
      if (answer.ok) return answer.data;
      if (answer.status !== 503 || attempt >= READ_RETRIES) throw new RequestError(url, answer);
      await pause(answer.retryAfter);
    }
  }

  // --- CSV -----------------------------------------------------------------------------------
  // A spreadsheet runs a cell whose text starts like a formula (= + - @, a tab or a carriage
  // return, also after leading spaces): such text gets a leading apostrophe and stays text.
  // Numbers stay numbers: a JSON number, or text that is a plain decimal number ("-2", "+3.5",
  // as the API writes decimals), is written as it is.
  const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
  const FORMULA_START = /^[=+\-@]/;
  const CONTROL_START = /^[\t\r]/;

  function csvText(s) {
    if (PLAIN_NUMBER.test(s)) return s;
    if (CONTROL_START.test(s) || FORMULA_START.test(s.replace(/^\s+/, ""))) return "'" + s;
    // Text that itself looks escaped keeps its apostrophe when read back.
    if (s.startsWith("'") && csvText(s.slice(1)) === s) return "'" + s;
    return s;
  }

  function cell(value) {
    if (value === null || value === undefined) return "";
    const s = typeof value === "number" ? String(value) : csvText(String(value));
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function lines(rows) {
    return rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
  }

  function download(filename, rows) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([lines(rows)], { type: "text/csv;charset=utf-8" }));
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(link.href);
  }

  // --- chart colours -------------------------------------------------------------------------
  const PALETTE_SIZE = 8;

  function colour(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  }

  function palette() {
    return Array.from({ length: PALETTE_SIZE }, (_, i) => colour(`chart-${i + 1}`));
  }

  // Chart.js's own defaults (text, grid lines, font) from the page's style, before a chart is made.
  function chartDefaults() {
    if (!window.Chart) return;
    const defaults = window.Chart.defaults;
    defaults.color = colour("muted");
    defaults.borderColor = colour("line");
    defaults.font.family = getComputedStyle(document.body).fontFamily;
  }

  window.Clinic = {
    csrfToken,
    request,
    getJson,
    csv: { lines, download },
    colour,
    palette,
    chartDefaults,
  };
})();
