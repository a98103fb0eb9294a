"""The post-session check-in page: one screen, no login; the token in the link is the key."""

from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.links import LinkUnavailable, link_language, link_lookup, link_unavailable
from clinic.transactions import DatabaseBusy

from ..check_ins import (
    check_in_complete,
    check_in_factors,
    check_in_open,
    check_in_regions,
)
from ..forms import CheckInForm


@never_cache
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str):
    found, refusal = link_lookup(request, lambda: check_in_open(token=token))
    if refusal:
        return refusal
    with link_language(found.session.patient.preferred_language):
        response = _check_in_page(request, found)
        response.headers["Content-Language"] = translation.get_language()
    return response


def _check_in_page(request: HttpRequest, found):
    patient = found.session.patient
    form = CheckInForm(
        request.POST or None,
        regions=check_in_regions(check_in=found),
        factors=check_in_factors(check_in=found),
    )
    if request.method == "POST" and form.is_valid():
        try:
            check_in_complete(
                check_in=found,
                pain=form.pain(),
                soreness=form.cleaned_data["soreness"],
                unexpected=form.cleaned_data["unexpected"],
                factors=form.factor_answers(),
            )
        except LinkUnavailable:
            return link_unavailable(request)
        except DatabaseBusy as busy:
            form.add_error(None, busy)  # the form again, as filled in, with the message
        else:
            return redirect(f"{reverse('check_in_thanks')}?lang={translation.get_language()}")
    context = {"form": form, "clinic": patient.clinic, "session": found.session}
    return render(
        request, "treatments/check_in.html", context, status=400 if form.is_bound else 200
    )


@never_cache
def check_in_thanks(request: HttpRequest):
    with link_language(request.GET.get("lang", "")):
        return render(request, "treatments/check_in_thanks.html")
