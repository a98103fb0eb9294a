// Patient forms (intake steps, check-in). A red flag's details show once "yes" is chosen. On the
// pain step the body chart (static/js/body_chart.js) opens a region's 0-10 rating in the list
// below it; that list is what the form posts, and without JavaScript it is shown whole.
(function () {
  "use strict";

  document.querySelectorAll("[data-flag]").forEach((box) => {
    const details = box.querySelector("[data-flag-details]");
    const sync = () => {
      const yes = box.querySelector('input[type="radio"][value="yes"]:checked');
      details.hidden = !yes && !details.querySelector(".field-error");
    };
    box.querySelectorAll('input[type="radio"]').forEach((radio) => {
      radio.addEventListener("change", () => {
        sync();
        if (radio.value === "yes" && radio.checked) details.querySelector("input").focus();
      });
    });
    sync();
  });

  const area = document.getElementById("pain-map-area");
  const list = document.getElementById("pain-list");
  if (!area || !list || !window.BodyChart) return;
  area.hidden = false;
  list.classList.add("pain-list--chart");
  const empty = document.querySelector(".pain-empty");
  const rows = new Map();
  const chart = window.BodyChart.attach(area.querySelector(".body-chart"), {
    onPick: ({ region, side }) => open(rows.get(`${region}:${side}`)),
  });

  function refresh(row) {
    const input = row.querySelector("input");
    chart.setSelected(row.dataset.region, row.dataset.side, !row.hidden, input.value);
    empty.hidden = [...rows.values()].some((r) => !r.hidden);
  }

  function open(row) {
    if (!row) return;
    row.hidden = false;
    refresh(row);
    row.querySelector("input").focus();
  }

  list.querySelectorAll(".pain-row").forEach((row) => {
    rows.set(`${row.dataset.region}:${row.dataset.side}`, row);
    const input = row.querySelector("input");
    const remove = row.querySelector(".pain-row__remove");
    row.hidden = input.value === "" && !row.classList.contains("field--invalid");
    remove.hidden = false;
    remove.addEventListener("click", () => {
      input.value = "";
      row.hidden = true;
      refresh(row);
    });
    input.addEventListener("input", () => refresh(row));
    refresh(row);
  });
})();
