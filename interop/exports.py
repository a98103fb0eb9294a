"""Whole-clinic exports, streamed: FHIR NDJSON per resource type, CSV of patients and sessions.

Every export is a generator over `.iterator(chunk_size=...)` querysets (a server-side cursor on
PostgreSQL), so memory stays flat however large the clinic: rows are read, written out and
dropped a chunk at a time. Output is yielded in blocks of about 64 KB, not line by line.
"""

import json
from collections.abc import Iterable, Iterator

from django.db.models import Avg, Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce

from clinic.models import Clinic
from clinic.spreadsheet import csv_lines
from outcomes.selectors import PSFS, instrument_scores
from patients.imports import PATIENT_COLUMNS
from patients.models import PainScore, PainSource
from sessions.models import Addendum, Muscle, TriggerPoint

from . import fhir, selectors

CHUNK_SIZE = 2000
PATIENTS_PER_CHUNK = 500
BLOCK_BYTES = 64 * 1024

# In the order a receiving system loads them: every reference points to an earlier type.
RESOURCE_TYPES = (
    "Organization",
    "Practitioner",
    "Patient",
    "Encounter",
    "Procedure",
    "Questionnaire",
    "Observation",
    "QuestionnaireResponse",
    "Goal",
    "CarePlan",
)


def _per_patient_chunk(clinic: Clinic, rows_of) -> Iterator:
    for patient_ids in selectors.clinic_patient_id_chunks(clinic=clinic, size=PATIENTS_PER_CHUNK):
        yield from rows_of(patient_ids).iterator(CHUNK_SIZE)


def _with_treatment(patient_ids: list[int]):
    # Lists (to_attr), not related managers: `.all()` on a prefetched manager still builds a
    # queryset, 0.1 ms a call, which was a third of the Procedure export.
    return selectors.sessions_of(patient_ids).prefetch_related(
        Prefetch("trigger_points", TriggerPoint.objects.order_by("pk"), to_attr="point_list"),
        Prefetch("addenda", Addendum.objects.order_by("pk"), to_attr="addendum_list"),
    )


def _procedures(clinic: Clinic, zone) -> Iterator[dict]:
    # The muscle catalogue is a few dozen rows: read once, not joined to every trigger point.
    muscles = {muscle.pk: muscle for muscle in Muscle.objects.all()}
    for session in _per_patient_chunk(clinic, _with_treatment):
        for point in session.point_list:
            point.muscle = muscles[point.muscle_id]
        yield fhir.procedure(session, session.point_list, session.addendum_list, zone=zone)


def _organization(clinic: Clinic, zone) -> Iterator[dict]:
    yield fhir.organization(clinic)


def _practitioners(clinic: Clinic, zone) -> Iterator[dict]:
    for user in selectors.clinic_practitioners(clinic=clinic).iterator(CHUNK_SIZE):
        yield fhir.practitioner(user)


def _patients(clinic: Clinic, zone) -> Iterator[dict]:
    for patient in selectors.clinic_patients(clinic=clinic).iterator(CHUNK_SIZE):
        yield fhir.patient(patient, clinic_slug=clinic.slug)


def _encounters(clinic: Clinic, zone) -> Iterator[dict]:
    for session in _per_patient_chunk(clinic, selectors.sessions_of):
        yield fhir.encounter(session, zone=zone)


def _observations(clinic: Clinic, zone) -> Iterator[dict]:
    for score in _per_patient_chunk(clinic, selectors.pain_scores_of):
        yield fhir.pain_observation(score, zone=zone)
    for measurement in _per_patient_chunk(clinic, selectors.mobility_of):
        yield fhir.rom_observation(measurement, zone=zone)
    for score in _per_patient_chunk(clinic, selectors.functional_scores_of):
        yield fhir.psfs_observation(score, zone=zone)
    for response in _per_patient_chunk(clinic, selectors.instrument_responses_of):
        total = fhir.instrument_total_observation(response, zone=zone)
        if total is not None:
            yield total
    for patient_ids in selectors.clinic_patient_id_chunks(clinic=clinic, size=PATIENTS_PER_CHUNK):
        for row in instrument_scores(patient_ids=patient_ids, codes=[PSFS]):
            yield fhir.psfs_total_observation(row, zone=zone)


def _questionnaires(clinic: Clinic, zone) -> Iterator[dict]:
    for instrument in selectors.clinic_instruments(clinic=clinic):
        yield fhir.instrument_questionnaire(instrument)


def _intake_responses(clinic: Clinic, zone) -> Iterator[dict]:
    patients = selectors.clinic_patients_with_intakes(clinic=clinic)
    for patient in patients.iterator(CHUNK_SIZE):
        # Lists the selector's Prefetch(to_attr=...) set, unknown to the stubs.
        intakes = patient.submitted_intakes  # type: ignore[attr-defined]
        psfs = selectors.group_intake_psfs(intakes, patient.intake_psfs)  # type: ignore[attr-defined]
        for intake in intakes:
            yield fhir.intake_response(intake, psfs.get(intake.pk, []), zone=zone)
    for response in _per_patient_chunk(clinic, selectors.instrument_responses_of):
        yield fhir.instrument_response(response, zone=zone)


def _goals(clinic: Clinic, zone) -> Iterator[dict]:
    for plan in _per_patient_chunk(clinic, selectors.plans_of):
        for row in plan.goals.all():
            yield fhir.goal(row, plan, zone=zone)


def _care_plans(clinic: Clinic, zone) -> Iterator[dict]:
    for plan in _per_patient_chunk(clinic, selectors.plans_of):
        yield fhir.care_plan(plan, plan.goals.all(), zone=zone)


_RESOURCES = {
    "Organization": _organization,
    "Practitioner": _practitioners,
    "Patient": _patients,
    "Encounter": _encounters,
    "Procedure": _procedures,
    "Questionnaire": _questionnaires,
    "Observation": _observations,
    "QuestionnaireResponse": _intake_responses,
    "Goal": _goals,
    "CarePlan": _care_plans,
}


def clinic_resources(*, clinic: Clinic, resource_type: str) -> Iterator[dict]:
    """Every resource of one type for the clinic, as FHIR JSON, patient by patient."""
    resources = _RESOURCES.get(resource_type)
    if resources is None:
        raise ValueError(f"Unknown resource type {resource_type!r}.")
    yield from resources(clinic, clinic.zone)


def _blocks(lines: Iterable[str]) -> Iterator[str]:
    block, size = [], 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= BLOCK_BYTES:
            yield "".join(block)
            block, size = [], 0
    if block:
        yield "".join(block)


def ndjson(*, clinic: Clinic, resource_type: str) -> Iterator[str]:
    """The clinic's resources of one type as newline-delimited JSON (FHIR Bulk Data format)."""
    return _blocks(
        json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
        for resource in clinic_resources(clinic=clinic, resource_type=resource_type)
    )


def _csv(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    return _blocks(csv_lines(header, rows))


def patients_csv(*, clinic: Clinic) -> Iterator[str]:
    """The clinic's patients in the columns the patient import reads, plus their id here."""
    header = ["id", *PATIENT_COLUMNS]
    rows = (
        selectors.clinic_patients(clinic=clinic)
        .values_list("pk", *PATIENT_COLUMNS)
        .iterator(CHUNK_SIZE)
    )
    return _csv(header, rows)


SESSION_COLUMNS = [
    "id",
    "patient_id",
    "patient_name",
    "started_at",
    "duration_minutes",
    "therapist",
    "status",
    "signed_at",
    "trigger_points",
    "trigger_points_released",
    "pain_before",
    "pain_after",
    "subjective",
    "objective",
    "assessment",
    "plan",
]


def _mean_pain(source: str) -> Subquery:
    scores = (
        PainScore.objects.filter(session=OuterRef("pk"), source=source, score__isnull=False)
        .order_by()
        .values("session")
        .annotate(mean=Avg("score"))
        .values("mean")
    )
    return Subquery(scores)


def _point_count(**filters) -> Coalesce:
    points = (
        TriggerPoint.objects.filter(session=OuterRef("pk"), **filters)
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(points, output_field=IntegerField()), 0)


def sessions_csv(*, clinic: Clinic) -> Iterator[str]:
    """Every session of the clinic, with its counts and mean pain before/after computed in SQL;
    times in the clinic's zone."""
    zone = clinic.zone

    def annotated(patient_ids: list[int]):
        return (
            selectors.sessions_of(patient_ids)
            .annotate(
                points=_point_count(),
                released=_point_count(released=True),
                pain_before=_mean_pain(PainSource.PRE_SESSION),
                pain_after=_mean_pain(PainSource.POST_SESSION),
            )
            .values_list(
                "pk",
                "patient_id",
                "patient__first_name",
                "patient__last_name",
                "started_at",
                "duration_minutes",
                "therapist__username",
                "status",
                "signed_at",
                "points",
                "released",
                "pain_before",
                "pain_after",
                "subjective",
                "objective",
                "assessment",
                "plan",
            )
        )

    def rows():
        for pk, patient_id, first, last, started, minutes, *rest in _per_patient_chunk(
            clinic, annotated
        ):
            therapist, status, signed, points, released, before, after, *soap = rest
            yield [
                pk,
                patient_id,
                f"{first} {last}",
                fhir.instant(started, zone),
                minutes,
                therapist,
                status,
                fhir.instant(signed, zone) if signed else "",
                points,
                released,
                "" if before is None else round(before, 1),
                "" if after is None else round(after, 1),
                *soap,
            ]

    return _csv(SESSION_COLUMNS, rows())
