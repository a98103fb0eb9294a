"""/follow-ups/reply/<token>/: the patient's confirm/cancel page, from an appointment reminder
(about an appointment on the book, or an appointment follow-up)."""

from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.links import link_lookup, link_unavailable

from ..models import Reminder
from ..replies import ReplyLinkUsed, follow_up_reply, reminder_for_reply


@never_cache
@require_http_methods(["GET", "POST"])
def follow_up_reply_view(request: HttpRequest, token: str):
    """The patient's one-time confirm/cancel page (no account). Only a POST answers, so a link
    preview or a mail scanner opening the link changes nothing."""
    # The same guess limit and friendly page as every patient link (clinic.links).
    reminder, refusal = link_lookup(request, lambda: reminder_for_reply(token=token))
    if refusal:
        return refusal
    subject = reminder.subject
    clinic = reminder.patient.clinic
    answered = None
    with translation.override(reminder.patient.preferred_language), timezone.override(clinic.zone):
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer not in ("confirm", "cancel"):
                raise Http404
            try:
                subject = follow_up_reply(token=token, confirm=answer == "confirm")
                answered = answer
            except Reminder.DoesNotExist:  # expired while the page was open
                return link_unavailable(request)
            except ReplyLinkUsed:  # answered meanwhile (a double tap): show what stands
                reminder.refresh_from_db()
                subject.refresh_from_db()
        used = answered is None and (reminder.answered_at is not None or not subject.is_open)
        return render(
            request,
            "scheduling/follow_up_reply.html",
            {
                "subject": subject,
                "clinic": clinic,
                "answered": answered,
                "used": used,
                # An appointment still to come may be brought forward: the waitlist's own page.
                "token": token if reminder.appointment_id and subject.is_open else "",
            },
        )
