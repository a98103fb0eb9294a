"""Scheduling's parts of pages that other apps serve (home, patient chart, session page): the
page's template loads them, so sessions shows follow-ups without importing scheduling."""

from django import template

from sessions.selectors import today_bounds

from .. import selectors
from ..forms import session_follow_up_form

register = template.Library()

# The home page's follow-ups and appointments of the day are bounded like its other lists.
HOME_FOLLOW_UPS = 100
HOME_APPOINTMENTS = 100


@register.inclusion_tag("scheduling/_book_today.html", takes_context=True)
def book_today(context) -> dict:
    """ "Today" from the book: who is expected, arrived, in treatment, done, no-show."""
    start, end = today_bounds()
    return selectors.book_today(user=context["user"], start=start, end=end, limit=HOME_APPOINTMENTS)


@register.inclusion_tag("scheduling/_follow_ups_today.html", takes_context=True)
def follow_ups_today(context) -> dict:
    start, end = today_bounds()
    rows = selectors.follow_ups_due_between(user=context["user"], start=start, end=end)
    return {"follow_ups_today": rows[:HOME_FOLLOW_UPS]}


@register.inclusion_tag("scheduling/_patient_follow_ups.html", takes_context=True)
def patient_follow_ups(context, patient) -> dict:
    return {
        "follow_ups": selectors.follow_ups_of_patient(user=context["user"], patient=patient)[:20]
    }


@register.inclusion_tag("scheduling/_session_follow_ups.html", takes_context=True)
def session_follow_ups(context, session) -> dict:
    """The session page's follow-ups and the form to plan one: the form as it was sent (with its
    errors) when the page comes back from a refused booking, else a blank one."""
    return {
        "session": session,
        "follow_ups": selectors.follow_ups_of_session(session=session),
        "follow_up_form": context.get("follow_up_form") or session_follow_up_form(session),
        "csrf_token": context.get("csrf_token"),
    }
