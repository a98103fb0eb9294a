"""/intake/<token>/: the patient's intake form, a step at a time (no login: the link's token is
the key), and its thank-you page."""

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.links import LinkUnavailable, link_language, link_lookup, link_unavailable
from clinic.transactions import DatabaseBusy

from .. import selectors, services
from ..forms import (
    STEPS,
    answers_from,
    review_sections,
    step_form,
)


def _step_number(request: HttpRequest, reached: int) -> int:
    try:
        asked = int(request.POST.get("step") or request.GET.get("step") or reached)
    except ValueError:
        asked = reached
    return min(max(asked, 1), reached, len(STEPS))


@never_cache
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, token: str):
    invitation, refusal = link_lookup(
        request, lambda: selectors.intake_invitation_open(token=token)
    )
    if refusal:
        return refusal
    with link_language(invitation.language):
        response = _intake_step(request, token, invitation)
        response.headers["Content-Language"] = translation.get_language()
    return response


def _intake_step(request: HttpRequest, token: str, invitation):
    submission = selectors.intake_in_progress(invitation=invitation)
    answers = submission.answers if submission else {}
    if "personal" not in answers and invitation.patient:
        # The invited patient's first name only (see _known_details).
        answers = {**answers, "personal": _known_details(invitation.patient)}
    reached = submission.current_step if submission else 1
    number = _step_number(request, reached)
    step = STEPS[number - 1]
    here = reverse("intake", args=[token])
    try:
        if step.form_class is None:
            if request.method == "POST" and (sent := _submit(request, invitation, here)):
                return sent
            form = None
        elif request.method == "POST":
            form = step_form(step, answers, data=request.POST)
            if form.is_valid() and (saved := _save_step(invitation, form, number, reached, here)):
                return saved
        else:
            form = step_form(step, answers)
    except LinkUnavailable:
        return link_unavailable(request)
    context = {
        "clinic": invitation.clinic,
        "step": step,
        "number": number,
        "total": len(STEPS),
        "percent": round(100 * (number - 1) / (len(STEPS) - 1)),
        "form": form,
        "back": f"{here}?step={number - 1}" if number > 1 else None,
        "sections": review_sections(answers, here) if form is None else None,
    }
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "patients/intake_step.html", context, status=status)


def _submit(request: HttpRequest, invitation, here: str):
    """Sends the reviewed intake: a redirect, or None to show the review page again."""
    try:
        services.intake_submit(invitation=invitation)
    except services.IntakeIncomplete as incomplete:
        messages.error(request, _("Please complete this step before sending."))
        return redirect(f"{here}?step={incomplete.step}")
    except DatabaseBusy as busy:
        # The review page again, with the message; the answers are all kept.
        messages.error(request, " ".join(busy.messages))
        return None
    return redirect(f"{reverse('intake_thanks')}?lang={translation.get_language()}")


def _save_step(invitation, form, number: int, reached: int, here: str):
    """Saves a valid step: a redirect to the next one, or None to show this step again."""
    try:
        services.intake_step_save(
            invitation=invitation, step=number, answers=answers_from(form.cleaned_data)
        )
    except DatabaseBusy as busy:
        form.add_error(None, busy)  # the step again, as typed, with the message
        return None
    # A change made from the review page goes back to the review page.
    following = len(STEPS) if reached == len(STEPS) else number + 1
    return redirect(f"{here}?step={following}")


def _known_details(patient) -> dict:
    """What a link opens prefilled: the first name, to greet, and nothing else. A link proves
    that someone holds the message (a forwarded mail, a shared inbox, a phone left unlocked),
    not who they are, so it never hands out the surname, birth date or contacts on file: the
    patient types them, and contacts left blank keep the ones on file (services._apply_answers).
    """
    return {"first_name": patient.first_name}


@never_cache
def intake_thanks(request: HttpRequest):
    with link_language(request.GET.get("lang", "")):
        return render(request, "patients/intake_thanks.html")
