"""The manager's dashboard. The page is a shell: static/js/dashboard.js reads the report API
with the filters chosen here, so the figures on screen are the API's figures."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from clinic.models import Clinic, Role
from clinic.rest import managed_clinic_ids
from patients.models import ActivityProfile, BodyRegion, DurationCategory
from patients.selectors import patient_get

from .serializers import DEFAULT_PERIOD_DAYS


def _managed_clinic(request) -> Clinic:
    managed = managed_clinic_ids(request.user)
    if not managed:
        raise PermissionDenied
    wanted = request.GET.get("clinic", "")
    clinic_id = int(wanted) if wanted.isdigit() else managed[0]
    if clinic_id not in managed:
        raise Http404
    return Clinic.objects.get(pk=clinic_id)


@login_required
def dashboard(request):
    clinic = _managed_clinic(request)
    therapists = (
        get_user_model()
        .objects.filter(
            memberships__clinic=clinic,
            memberships__role__in=(Role.THERAPIST, Role.MANAGER, Role.ADMIN),
            treatment_sessions__isnull=False,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )
    config = {
        "clinic": clinic.pk,
        "periodDays": DEFAULT_PERIOD_DAYS,
        "urls": {
            name: reverse(f"report-{name}")
            for name in ("outcomes", "trigger-points", "check-in-curve", "psfs", "rom")
        },
    }
    return render(
        request,
        "reports/dashboard.html",
        {
            "clinic": clinic,
            "clinics": Clinic.objects.filter(pk__in=managed_clinic_ids(request.user)),
            "therapists": therapists,
            "cohorts": ActivityProfile.choices,
            "durations": DurationCategory.choices,
            "regions": BodyRegion.choices,
            "config": config,
        },
    )


@login_required
def patient_progress(request, patient_id: int):
    """A printable progress report of one patient: pain and mobility over the course."""
    _managed_clinic(request)
    patient = patient_get(user=request.user, patient_id=patient_id)
    if patient.clinic_id not in managed_clinic_ids(request.user):
        raise Http404
    config = {
        "painUrl": reverse("report-pain-trend", args=[patient.pk]),
        "mobilityUrl": reverse("report-mobility-trend", args=[patient.pk]),
        "timeZone": patient.clinic.time_zone,
    }
    return render(request, "reports/patient_progress.html", {"patient": patient, "config": config})
