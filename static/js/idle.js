// Staff sessions end after a few idle minutes (SESSION_COOKIE_AGE). Two minutes before, this
// warns and offers to stay; at the end it asks the page to save (the recording page listens
// for "clinic:idle-expiring") and goes to the sign-in page. Any request renews the session;
// pages announce theirs with a "clinic:activity" event.
(function () {
  "use strict";
  const body = document.body;
  const idleSeconds = Number(body.dataset.idleSeconds);
  if (!idleSeconds) return;
  const warning = document.getElementById("idle-warning");
  const warnAfter = Math.max(idleSeconds - 120, idleSeconds / 2) * 1000;
  let warnTimer;
  let endTimer;

  function restart() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warning.hidden = true;
    warnTimer = setTimeout(() => { warning.hidden = false; }, warnAfter);
    endTimer = setTimeout(() => {
      document.dispatchEvent(new Event("clinic:idle-expiring"));
      setTimeout(() => {
        window.location.assign(`${body.dataset.loginUrl}?next=${encodeURIComponent(location.pathname)}`);
      }, 1500);
    }, idleSeconds * 1000 - 5000);
  }

  document.getElementById("idle-stay").addEventListener("click", async () => {
    await window.Clinic.request(body.dataset.keepaliveUrl, { method: "POST" });
    restart();
  });
  document.addEventListener("clinic:activity", restart);
  restart();
})();
