// Pages laid out for paper: a [data-print] button opens the browser's print dialog, where
// "Save as PDF" is one of the printers.
(function () {
  "use strict";

  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
})();
