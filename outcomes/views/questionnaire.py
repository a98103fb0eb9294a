"""The patient's questionnaire page: one instrument from a one-time link, no login, on a phone,
in the patient's language (English or Spanish)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.links import LinkUnavailable, link_language, link_lookup, link_unavailable
from clinic.transactions import DatabaseBusy

from ..forms import InstrumentForm, PsfsForm, wording
from ..selectors import psfs_activities, questionnaire_open
from ..services import questionnaire_complete


@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire(request: HttpRequest, token: str):
    found, refusal = link_lookup(request, lambda: questionnaire_open(token=token))
    if refusal:
        return refusal
    with link_language(found.language or found.patient.preferred_language):
        response = _page(request, found)
        response.headers["Content-Language"] = translation.get_language()
    return response


def _page(request: HttpRequest, found):
    instrument = found.instrument
    data = request.POST or None
    psfs = instrument.activities is not None
    form: InstrumentForm | PsfsForm = (
        PsfsForm(data, activities=psfs_activities(patient=found.patient))
        if psfs
        else InstrumentForm(data, instrument=instrument)
    )
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire_complete(
                request=found,
                answers=form.answers() if isinstance(form, InstrumentForm) else None,
                ratings=form.ratings() if isinstance(form, PsfsForm) else (),
                language=translation.get_language() or "en",
            )
        except LinkUnavailable:
            return link_unavailable(request)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except DatabaseBusy as busy:
            form.add_error(None, busy)
        else:
            return redirect(f"{reverse('questionnaire_thanks')}?lang={translation.get_language()}")
    context = {
        "form": form,
        "psfs": psfs,
        "instrument": instrument,
        "name": instrument.name,
        "instructions": wording(instrument.definition.get("instructions", {"en": ""})),
        "clinic": found.patient.clinic,
    }
    return render(
        request, "outcomes/questionnaire.html", context, status=400 if form.is_bound else 200
    )


@never_cache
def questionnaire_thanks(request: HttpRequest):
    with link_language(request.GET.get("lang", "")):
        return render(request, "treatments/check_in_thanks.html")
