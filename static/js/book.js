// The appointment book (day and week views): drag a booked appointment onto a free time to
// move it. The move goes through the API (POST /api/v1/appointments/<id>/move/); a refusal (a
// taken slot, the past, outside the hours) is shown as the server words it and nothing moves.
// Without a mouse, each appointment's page has the move form.
(function () {
  "use strict";
  const status = document.getElementById("book-status");
  let dragged = null;

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "message error" : "message success";
    status.hidden = false;
  }

  function messagesOf(answer) {
    if (answer.message) return answer.message;
    const data = answer.data || {};
    return Object.values(data).flat().join(" ") || `The server answered ${answer.status}.`;
  }

  document.querySelectorAll(".appointment[draggable='true']").forEach((block) => {
    block.addEventListener("dragstart", (event) => {
      dragged = block;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", block.dataset.moveUrl);
      block.classList.add("dragging");
    });
    block.addEventListener("dragend", () => {
      block.classList.remove("dragging");
      dragged = null;
    });
  });

  document.querySelectorAll("td.book-free").forEach((cell) => {
    const slot = cell.querySelector(".slot");
    cell.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      cell.classList.add("drop-target");
    });
    cell.addEventListener("dragleave", () => cell.classList.remove("drop-target"));
    cell.addEventListener("drop", async (event) => {
      event.preventDefault();
      cell.classList.remove("drop-target");
      if (!dragged) return;
      const url = dragged.dataset.moveUrl;
      say("Moving…", false);
      try {
        const answer = await window.Clinic.request(url, {
          method: "POST",
          body: { starts_at: slot.dataset.startsAt, therapist: Number(slot.dataset.therapist) },
        });
        if (answer.ok) {
          window.location.reload();
        } else {
          say(messagesOf(answer), true);
        }
      } catch (error) {
        say("The connection failed: nothing was moved.", true);
      }
    });
  });
})();
