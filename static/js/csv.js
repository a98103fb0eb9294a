// The one rule for every CSV the browser builds, the same as the server's (clinic/spreadsheet.py).
// A spreadsheet runs a cell whose text starts like a formula (= + - @, a tab or a carriage
// return, also after leading spaces): such text gets a leading apostrophe and stays text.
// Numbers stay numbers: a JSON number, or text that is a plain decimal number ("-2", "+3.5",
// as the API writes decimals), is written as it is.
(function () {
  "use strict";

  const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
  const FORMULA_START = /^[=+\-@]/;
  const CONTROL_START = /^[\t\r]/;

  function text(s) {
    if (PLAIN_NUMBER.test(s)) return s;
    if (CONTROL_START.test(s) || FORMULA_START.test(s.replace(/^\s+/, ""))) return "'" + s;
    // Text that itself looks escaped keeps its apostrophe when read back.
    if (s.startsWith("'") && text(s.slice(1)) === s) return "'" + s;
    return s;
  }

  function cell(value) {
    if (value === null || value === undefined) return "";
    const s = typeof value === "number" ? String(value) : text(String(value));
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function lines(rows) {
    return rows.map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
  }

  window.ClinicCsv = { cell: cell, lines: lines };
})();
