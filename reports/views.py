"""The manager's dashboard. The page is a shell: static/js/dashboard.js reads the report API
with the filters chosen here, so the figures on screen are the API's figures."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic, Role
from clinic.replica import reads_from_replica
from clinic.rest import managed_clinic_ids
from clinic.selectors import clinic_resolve, clinics_of
from clinic.types import StaffRequest
from patients.models import ActivityProfile, BodyRegion, DurationCategory, PainSource, Side
from patients.selectors import psfs_ratings
from plans import selectors as plans_selectors
from sessions.selectors import session_pain_curve, trigger_point_history

from .api import clinical_patient
from .serializers import DEFAULT_PERIOD_DAYS

OUTCOME_COLUMNS = [
    ("patients", _("Patients")),
    ("courses", _("Courses")),
    ("evaluated", _("Evaluated")),
    ("excluded_low_baseline", _("Left out (baseline 0-1)")),
    ("mean_baseline", _("Baseline pain")),
    ("mean_latest", _("Latest pain")),
    ("mean_change", _("Change")),
    ("percent_change", _("Change %")),
    ("responders", _("Responders")),
    ("responder_rate", _("Responder %")),
]
TABLES = [
    {
        "key": "utilisation",
        "title": _("Utilisation by therapist"),
        "columns": [
            ("name", _("Therapist")),
            ("booked_hours", _("Booked hours")),
            ("working_hours", _("Working hours")),
            ("utilisation", _("Utilisation %")),
        ],
    },
    {
        "key": "therapists",
        "title": _("By therapist"),
        "columns": [("name", _("Therapist")), *OUTCOME_COLUMNS],
    },
    {
        "key": "cohorts",
        "title": _("By cohort"),
        "columns": [("label", _("Cohort")), *OUTCOME_COLUMNS],
    },
    {
        "key": "months",
        "title": _("By month the course started"),
        "columns": [("month", _("Month")), *OUTCOME_COLUMNS],
    },
    {
        "key": "muscles",
        "title": _("Trigger points by muscle"),
        "columns": [
            ("muscle_name", _("Muscle")),
            ("found", _("Found")),
            ("released", _("Released")),
            ("share_released", _("Released %")),
            ("points", _("Points followed")),
            ("patients", _("Patients")),
            ("mean_sessions_to_release", _("Sessions to release")),
        ],
    },
    {
        "key": "rom",
        "title": _("Range of motion by movement"),
        "columns": [
            ("joint", _("Joint")),
            ("name", _("Movement")),
            ("measured", _("Measured twice+")),
            ("mean_first", _("First °")),
            ("mean_latest", _("Latest °")),
            ("mean_change", _("Change °")),
            ("first_percent_of_normal", _("First % of normal")),
            ("latest_percent_of_normal", _("Latest % of normal")),
        ],
    },
]


def _managed_clinic(request: StaffRequest) -> Clinic:
    """The clinic whose outcomes the page shows: managers only (403), and only their clinics."""
    if not managed_clinic_ids(request.user):
        raise PermissionDenied
    try:
        return clinic_resolve(user=request.user, slug=request.GET.get("clinic"), managed=True)
    except Clinic.DoesNotExist:
        raise Http404 from None


@login_required
@reads_from_replica
def dashboard(request: StaffRequest):
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
    today = timezone.localdate(timezone=clinic.zone)
    reports = ("outcomes", "trigger-points", "check-in-curve", "psfs", "rom", "operations")
    config = {
        "urls": {name: reverse(f"report-{name}") for name in reports},
        "patients": reverse("patient-list"),
        "progress": reverse("reports:patient-progress", args=[0]),
        "tables": {t["key"]: [key for key, _ in t["columns"]] for t in TABLES},
        "strings": {
            "evaluated": str(_("evaluated")),
            "leftOut": str(_("left out")),
            "courses": str(_("Courses")),
            "noRows": str(_("Nothing to show for these filters.")),
            "improved": str(_("improved")),
            "sessions": str(_("Sessions")),
            "noPatient": str(_("No patient found.")),
            "responderRate": str(_("Responders %")),
            "meanChange": str(_("Mean change (points)")),
            "meanPain": str(_("Mean pain (0-10)")),
            "releasedShare": str(_("Released %")),
            "first": str(_("First")),
            "latest": str(_("Latest")),
            "failed": str(_("The reports could not be loaded. Try again.")),
            "ofAppointments": str(_("of %(count)s appointments")),
            "ofAttended": str(_("of %(count)s attended")),
            "withinHours": str(_("cancelled within %(hours)s h")),
            "newReturning": str(_("%(new)s new, %(returning)s returning")),
        },
    }
    return render(
        request,
        "reports/dashboard.html",
        {
            "clinic": clinic,
            "clinics": clinics_of(user=request.user, managed=True),
            "therapists": therapists,
            "cohorts": ActivityProfile.choices,
            "durations": DurationCategory.choices,
            "regions": BodyRegion.choices,
            "date_to": today,
            "date_from": today - dt.timedelta(days=DEFAULT_PERIOD_DAYS),
            "tables": TABLES,
            "responder_min_points": settings.CLINIC_RESPONDER_MIN_POINTS,
            "responder_min_percent": settings.CLINIC_RESPONDER_MIN_PERCENT,
            "config": config,
        },
    )


@login_required
@reads_from_replica
def patient_progress(request: StaffRequest, patient_id: int):
    """A printable progress report of one patient for the clinical staff of their clinic (the
    chart's clinical rule; anyone else gets 404): pain, mobility, PSFS, trigger points and the
    check-in curve over the course."""
    patient = clinical_patient(user=request.user, patient_id=patient_id)
    config = {
        "pain": reverse("report-pain-trend", args=[patient.pk]),
        "mobility": reverse("report-mobility-trend", args=[patient.pk]),
        "timeZone": patient.clinic.time_zone,
        "regions": dict(BodyRegion.choices),
        "sides": dict(Side.choices),
        "sources": dict(PainSource.choices),
    }
    return render(
        request,
        "reports/patient_progress.html",
        {
            "patient": patient,
            "config": config,
            "printed_at": timezone.now(),
            "psfs": psfs_ratings(patient=patient),
            "trigger_points": trigger_point_history(patient=patient),
            "curve": session_pain_curve(patient=patient),
            **plans_selectors.plan_summary(user=request.user, patient=patient),
        },
    )
