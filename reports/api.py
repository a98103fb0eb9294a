"""Report endpoints: thin views over reports/selectors.py (clinic-wide figures, managers only)
and the patient trends of patients/ and sessions/ selectors (clinical staff)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from clinic.audit import audit_read
from clinic.models import Clinic
from clinic.permissions import access_for
from clinic.replica import ReplicaReads
from clinic.rest import ManagesAClinic, ReadsClinical
from clinic.selectors import clinic_resolve
from clinic.shortcuts import or_404
from clinic.types import StaffApiRequest, User
from outcomes.selectors import instrument_scores
from patients.models import Patient
from patients.selectors import pain_trend, patient_get
from sessions.selectors import mobility_trend

from . import selectors
from .serializers import (
    CheckInCurveSerializer,
    ClinicOutcomesSerializer,
    ConcordanceSerializer,
    InstrumentChangeSerializer,
    InstrumentPointSerializer,
    MobilityPointSerializer,
    MuscleSerializer,
    OperationsSerializer,
    PainPointSerializer,
    PsfsChangeSerializer,
    ReportQuerySerializer,
    RomChangeSerializer,
)


def report_filters(request: StaffApiRequest) -> selectors.OutcomeFilters:
    """The period and filters of a report request; a clinic the user does not manage is 404."""
    query = ReportQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    params = query.validated_data
    try:
        clinic = clinic_resolve(user=request.user, slug=params.get("clinic"), managed=True)
    except Clinic.DoesNotExist:
        raise Http404 from None
    return selectors.OutcomeFilters(
        clinic=clinic,
        date_from=params["date_from"],
        date_to=params["date_to"],
        therapist_id=params.get("therapist"),
        cohort=params.get("cohort", ""),
        duration=params.get("duration", ""),
        region=params.get("region", ""),
    )


class ClinicReport(ReplicaReads, APIView):
    """GET a clinic-wide report: `report` is its selector, `serializer` the answer's shape (it
    also turns the database's decimals into the documented numbers). Read from the replica
    when there is one (clinic/replica.py)."""

    permission_classes = [ManagesAClinic]
    report: Callable[..., Any]
    serializer: type[BaseSerializer]
    many = False

    def get(self, request: StaffApiRequest):
        figures = type(self).report(user=request.user, filters=report_filters(request))
        return Response(self.serializer(figures, many=self.many).data)


@extend_schema(parameters=[ReportQuerySerializer], responses=ClinicOutcomesSerializer)
class ClinicOutcomesView(ClinicReport):
    """Pain outcomes of the courses that started in the period: patients, baseline and latest
    mean pain, change, responders (MCID), in total and by month, therapist and cohort."""

    serializer = ClinicOutcomesSerializer

    def get(self, request: StaffApiRequest):
        outcomes = selectors.clinic_outcomes(user=request.user, filters=report_filters(request))
        outcomes["responder_min_points"] = settings.CLINIC_RESPONDER_MIN_POINTS
        outcomes["responder_min_percent"] = settings.CLINIC_RESPONDER_MIN_PERCENT
        return Response(self.serializer(outcomes).data)


@extend_schema(parameters=[ReportQuerySerializer], responses=MuscleSerializer(many=True))
class TriggerPointReportView(ClinicReport):
    """Per muscle: trigger points found, the share released, and sessions to release."""

    report = selectors.trigger_points_by_muscle
    serializer = MuscleSerializer
    many = True


@extend_schema(parameters=[ReportQuerySerializer], responses=ConcordanceSerializer)
class ConcordanceView(ClinicReport):
    """Referral concordance: the share of the period's trigger points whose muscle refers (an
    essential zone of the referral atlas) to a region the patient rated 1 or more before that
    session, in total and by therapist."""

    report = selectors.concordance
    serializer = ConcordanceSerializer


@extend_schema(parameters=[ReportQuerySerializer], responses=CheckInCurveSerializer)
class CheckInCurveView(ClinicReport):
    """Mean pain before, right after and 24-48 h after sessions."""

    report = selectors.check_in_curve
    serializer = CheckInCurveSerializer


@extend_schema(parameters=[ReportQuerySerializer], responses=PsfsChangeSerializer)
class PsfsChangeView(ClinicReport):
    """Patient-Specific Functional Scale: first against latest mean per patient."""

    report = selectors.psfs_change
    serializer = PsfsChangeSerializer


@extend_schema(parameters=[ReportQuerySerializer], responses=InstrumentChangeSerializer(many=True))
class InstrumentChangeView(ClinicReport):
    """Outcome instruments (NDI, LEFS, PSFS, a clinic's own), per version: first against latest
    score per patient, change, % change and responders by the instrument's MCID, in total and by
    therapist, cohort and pain region."""

    report = selectors.instrument_change
    serializer = InstrumentChangeSerializer
    many = True


@extend_schema(parameters=[ReportQuerySerializer], responses=RomChangeSerializer(many=True))
class RomChangeView(ClinicReport):
    """Range of motion per movement: first and latest, degrees and % of normal."""

    report = selectors.rom_change
    serializer = RomChangeSerializer
    many = True


@extend_schema(parameters=[ReportQuerySerializer], responses=OperationsSerializer)
class OperationsView(ClinicReport):
    """The appointment book's figures: no-show, late-cancellation and rebooking rates, new and
    returning patients, utilisation per therapist (booked / working hours). Period and therapist
    filter; the clinical filters (cohort, chronicity, region) do not apply."""

    report = selectors.operations
    serializer = OperationsSerializer


def clinical_patient(*, user: User, patient_id: int) -> Patient:
    """A patient whose clinical content `user` reads (the chart's clinical rule), else 404: the
    trend endpoints and the progress report page."""
    patient = or_404(patient_get, user=user, patient_id=patient_id)
    audit_read(user=user, obj=patient)
    if not access_for(user).may_read_clinical(patient.clinic_id):
        raise Http404
    return patient


# The trends answer their selector's rows as they are: each row already has exactly the
# serializer's fields in JSON's types, and serializing hundreds of rows field by field cost more
# than the rest of the request (issue 19). The serializers document the shape.
@extend_schema(responses=PainPointSerializer(many=True))
class PatientPainTrendView(ReplicaReads, APIView):
    """Every rated pain score of a patient, oldest first: a series per region, side and source."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest, patient_id: int):
        patient = clinical_patient(user=request.user, patient_id=patient_id)
        return Response(list(pain_trend(patient=patient)))


@extend_schema(responses=MobilityPointSerializer(many=True))
class PatientMobilityTrendView(ReplicaReads, APIView):
    """Every range-of-motion measurement of a patient, in degrees and % of normal."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest, patient_id: int):
        patient = clinical_patient(user=request.user, patient_id=patient_id)
        return Response(list(mobility_trend(patient=patient)))


@extend_schema(responses=InstrumentPointSerializer(many=True))
class PatientInstrumentTrendView(ReplicaReads, APIView):
    """Every scored questionnaire of a patient (NDI, LEFS, PSFS means, a clinic's own), oldest
    first, with each instrument's direction and MCID."""

    permission_classes = [ReadsClinical]

    def get(self, request: StaffApiRequest, patient_id: int):
        patient = clinical_patient(user=request.user, patient_id=patient_id)
        rows = instrument_scores(patient_ids=[patient.pk])
        return Response(InstrumentPointSerializer([r._asdict() for r in rows], many=True).data)
