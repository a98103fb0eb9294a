"""Reads for the exports, scoped by `clinic.permissions.visible` and the user's role."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from clinic.models import CLINICAL_ROLES, Clinic
from clinic.permissions import access_for, unrestricted, visible
from clinic.types import User
from outcomes.models import Instrument, InstrumentResponse, ItemAnswer
from outcomes.selectors import PSFS, InstrumentScore, instrument_scores
from patients.models import FunctionalScore, IntakeSubmission, PainScore, PainSource, Patient
from plans.models import PlanGoal, PlanOfCare
from sessions.models import Addendum, MobilityMeasurement, TreatmentSession, TriggerPoint


@dataclass
class PatientRecord:
    """Everything the FHIR bundle of one patient holds, loaded in a fixed number of queries."""

    patient: Patient
    pain_scores: list[PainScore]
    sessions: list[TreatmentSession]
    mobility: list[MobilityMeasurement]
    functional_scores: list[FunctionalScore]
    intakes: list[IntakeSubmission]
    intake_psfs: dict[int, list[FunctionalScore]] = field(default_factory=dict)
    plans: list[PlanOfCare] = field(default_factory=list)
    instrument_responses: list[InstrumentResponse] = field(default_factory=list)
    psfs_totals: list[InstrumentScore] = field(default_factory=list)

    @property
    def practitioners(self) -> list:
        """The therapists and addenda authors the record references, once each."""
        people = {}
        for plan in self.plans:
            people[plan.therapist_id] = plan.therapist
            if plan.signed_by is not None:
                people[plan.signed_by.pk] = plan.signed_by
        for session in self.sessions:
            people[session.therapist_id] = session.therapist
            for addendum in session.addenda.all():
                people[addendum.author_id] = addendum.author
        return list(people.values())


def group_intake_psfs(
    intakes: list[IntakeSubmission], scores: list[FunctionalScore]
) -> dict[int, list[FunctionalScore]]:
    """Intake PSFS items carry no link to their intake: each belongs to the patient's latest
    intake submitted at or before it was recorded (the first intake when none was)."""
    submitted = sorted((i for i in intakes if i.submitted_at), key=lambda i: (i.submitted_at, i.pk))
    grouped: dict[int, list[FunctionalScore]] = {i.pk: [] for i in submitted}
    if not submitted:
        return grouped
    for score in scores:
        owner = submitted[0]
        for intake in submitted:
            # `submitted` holds only intakes with a submitted_at, which mypy cannot follow.
            if intake.submitted_at <= score.recorded_at:  # type: ignore[operator]
                owner = intake
        grouped[owner.pk].append(score)
    return grouped


def patient_record(*, user: User, patient_id: int) -> PatientRecord:
    """One patient's whole record for a clinical reader of their clinic; Patient.DoesNotExist
    for anyone else (front desk included: the record is clinical content)."""
    patient = visible(user, Patient).select_related("clinic").get(pk=patient_id)
    if not access_for(user).may_read_clinical(patient.clinic_id):
        raise Patient.DoesNotExist
    intakes = list(
        patient.intakes.exclude(status=IntakeSubmission.Status.IN_PROGRESS).order_by(
            "submitted_at", "pk"
        )
    )
    functional_scores = list(patient.functional_scores.order_by("recorded_at", "item", "pk"))
    intake_scores = [score for score in functional_scores if score.source == PainSource.INTAKE]
    return PatientRecord(
        patient=patient,
        pain_scores=list(patient.pain_scores.order_by("recorded_at", "pk")),
        sessions=list(
            patient.sessions.filter(discarded_at__isnull=True)
            .select_related("therapist")
            .prefetch_related(
                Prefetch(
                    "trigger_points",
                    TriggerPoint.objects.select_related("muscle").order_by("pk"),
                ),
                Prefetch("addenda", Addendum.objects.select_related("author").order_by("pk")),
            )
            .order_by("started_at", "pk")
        ),
        mobility=list(patient.mobility.select_related("movement").order_by("measured_at", "pk")),
        functional_scores=functional_scores,
        intakes=intakes,
        intake_psfs=group_intake_psfs(intakes, intake_scores),
        plans=list(plans_of([patient.pk]).select_related("therapist", "signed_by")),
        instrument_responses=list(instrument_responses_of([patient.pk])),
        psfs_totals=instrument_scores(patient_ids=[patient.pk], codes=[PSFS]),
    )


def instrument_responses_of(patient_ids: list[int]) -> QuerySet[InstrumentResponse]:
    return (
        InstrumentResponse.objects.filter(patient_id__in=patient_ids)
        .select_related("instrument")
        .prefetch_related(Prefetch("answers", ItemAnswer.objects.order_by("pk")))
        .order_by("patient_id", "taken_at", "pk")
    )


def clinic_instruments(*, clinic: Clinic) -> QuerySet[Instrument]:
    """The instrument versions the clinic's patients answered, for the Questionnaire export."""
    return Instrument.objects.filter(
        Exists(InstrumentResponse.objects.filter(instrument=OuterRef("pk"), patient__clinic=clinic))
    ).order_by("code", "version")


def clinic_patients(*, clinic: Clinic) -> QuerySet[Patient]:
    """The clinic's patients for a whole-clinic export: restricted records (an erasure
    request) are left out, and with them every row the exports read by patient."""
    return Patient.objects.filter(unrestricted(Patient), clinic=clinic).order_by("pk")


def clinic_patient_id_chunks(*, clinic: Clinic, size: int) -> Iterator[list[int]]:
    """The clinic's patient ids, `size` at a time. The exports read each table for one chunk
    of patients through its (patient, time) index: a join of a million rows to the clinic's
    patients lets a planner with stale statistics pick a nested loop that takes minutes."""
    ids = clinic_patients(clinic=clinic).values_list("pk", flat=True).iterator(size)
    while chunk := list(islice(ids, size)):
        yield chunk


def clinic_practitioners(*, clinic: Clinic) -> QuerySet:
    """The clinic's clinical staff (past staff included), and anyone who treated one of its
    patients or wrote an addendum to their notes: every Practitioner the other resources
    reference. Front desk clerks are staff, not practitioners."""
    treated = TreatmentSession.objects.filter(
        unrestricted(TreatmentSession),
        therapist=OuterRef("pk"),
        patient__clinic=clinic,
        discarded_at__isnull=True,
    )
    amended = Addendum.objects.filter(
        unrestricted(Addendum), author=OuterRef("pk"), session__patient__clinic=clinic
    )
    return (
        get_user_model()
        .objects.filter(
            Q(memberships__clinic=clinic, memberships__role__in=CLINICAL_ROLES)
            | Exists(treated)
            | Exists(amended)
        )
        .distinct()
        .order_by("pk")
        .only("pk", "username", "first_name", "last_name")
    )


def sessions_of(patient_ids: list[int]) -> QuerySet[TreatmentSession]:
    # A discarded draft was started by mistake: no encounter took place, nothing to export.
    return TreatmentSession.objects.filter(
        patient_id__in=patient_ids, discarded_at__isnull=True
    ).order_by("patient_id", "started_at", "pk")


def pain_scores_of(patient_ids: list[int]) -> QuerySet[PainScore]:
    return PainScore.objects.filter(patient_id__in=patient_ids).order_by(
        "patient_id", "recorded_at", "pk"
    )


def functional_scores_of(patient_ids: list[int]) -> QuerySet[FunctionalScore]:
    return FunctionalScore.objects.filter(patient_id__in=patient_ids).order_by(
        "patient_id", "recorded_at", "item", "pk"
    )


def mobility_of(patient_ids: list[int]) -> QuerySet[MobilityMeasurement]:
    return (
        MobilityMeasurement.objects.filter(patient_id__in=patient_ids)
        .select_related("movement")
        .order_by("patient_id", "measured_at", "pk")
    )


def clinic_patients_with_intakes(*, clinic: Clinic) -> QuerySet[Patient]:
    """Patients with their submitted intakes and intake PSFS items (`submitted_intakes`,
    `intake_psfs`): an intake's PSFS items are found among its patient's."""
    return clinic_patients(clinic=clinic).prefetch_related(
        Prefetch(
            "intakes",
            IntakeSubmission.objects.exclude(status=IntakeSubmission.Status.IN_PROGRESS).order_by(
                "submitted_at", "pk"
            ),
            to_attr="submitted_intakes",
        ),
        Prefetch(
            "functional_scores",
            FunctionalScore.objects.filter(source=PainSource.INTAKE).order_by(
                "recorded_at", "item"
            ),
            to_attr="intake_psfs",
        ),
    )


def plans_of(patient_ids: list[int]) -> QuerySet[PlanOfCare]:
    """Every version of the patients' plans of care, with their goals and what they measure."""
    return (
        PlanOfCare.objects.filter(patient_id__in=patient_ids)
        .prefetch_related(
            Prefetch(
                "goals",
                PlanGoal.objects.select_related("movement", "instrument").order_by(
                    "position", "pk"
                ),
            )
        )
        .order_by("patient_id", "opened_at", "version", "pk")
    )
