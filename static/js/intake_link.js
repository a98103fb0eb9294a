// The intake link page: copy the link, shown once, to the clipboard (by hand where the browser
// refuses: the field is selected for it).
(function () {
  "use strict";
  const button = document.getElementById("copy-intake-link");
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById("copy-status");
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = button.dataset.copied;
    } catch (error) {
      status.textContent = button.dataset.failed;
    }
  });
})();
