// The hold countdown of the recording page: a trigger point's target hold (30 s for ischemic
// compression, sessions.models.HOLD_TARGETS) counts down on a bar; at the target the device
// vibrates and, when the therapist asked for it, beeps. The therapist stops on release, and
// the seconds held fill the hold field.
// HoldTimer.attach({button, input, bar, text, target, sound, onStop}): `target()` answers the
// current target in seconds (0: none, the timer only counts up), `sound()` whether to beep.
(function () {
  "use strict";
  const t = (text) => (window.gettext ? window.gettext(text) : text);

  function beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const audio = new Context();
    const tone = audio.createOscillator();
    tone.frequency.value = 880;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    tone.onended = () => audio.close();
  }

  function attach({ button, input, bar, text, target, sound, onStop }) {
    let started = null;
    let ticker = null;
    let cued = false;

    function show(elapsed) {
      const goal = target();
      input.value = String(elapsed);
      bar.max = goal || 1;
      bar.value = goal ? Math.min(elapsed, goal) : 0;
      if (!goal) text.textContent = `${elapsed} s`;
      else if (elapsed < goal) text.textContent = `${goal - elapsed} s ${t("left")}`;
      else text.textContent = t("Target reached: release when the tissue softens.");
      if (goal && elapsed >= goal && !cued) {
        cued = true;
        bar.classList.add("reached");
        if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
        if (sound()) beep();
      }
    }

    function stop() {
      clearInterval(ticker);
      const elapsed = Math.round((Date.now() - started) / 1000);
      started = null;
      input.value = String(elapsed);
      button.textContent = t("Start hold timer");
      button.classList.remove("running");
      onStop();
    }

    button.addEventListener("click", () => {
      if (started !== null) {
        stop();
        return;
      }
      started = Date.now();
      cued = false;
      bar.classList.remove("reached");
      bar.hidden = false;
      button.textContent = t("Stop hold timer");
      button.classList.add("running");
      show(0);
      ticker = setInterval(() => show(Math.floor((Date.now() - started) / 1000)), 250);
    });
  }

  window.HoldTimer = { attach };
})();
