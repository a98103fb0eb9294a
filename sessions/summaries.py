"""Derived tables the session reports read instead of every score and point: `SessionPain`
(the check-in curve) and `TriggerPointVisit` (the trigger-point report), with `PainCourse`.

Like `patients.summaries`: the services that write scores, points or a session's time rebuild
the affected patients' rows in the same transaction; nothing else writes these tables."""

from collections.abc import Collection

from patients.models import PainScore, PainSource, Patient
from patients.summaries import for_patients, pain_courses_refresh, rebuild

from .models import (
    PointCorrection,
    SessionPain,
    TreatmentSession,
    TriggerPoint,
    TriggerPointVisit,
)


def summaries_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Rebuild every derived row of `patient_ids` (None: of every patient), inside the caller's
    transaction; the patients stay locked until it ends (see `pain_courses_refresh`)."""
    pain_courses_refresh(patient_ids=patient_ids)
    _session_pain_refresh(patient_ids=patient_ids)
    _trigger_point_visits_refresh(patient_ids=patient_ids)


def _session_pain_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Per session, region and side: the mean score before, right after and at the check-in."""
    table = SessionPain._meta.db_table
    chosen, params = for_patients("s.patient_id", patient_ids)
    sql = f"""
    INSERT INTO {table} (clinic_id, patient_id, session_id, therapist_id, started_at,
                         region, side, before, after, check_in)
    SELECT p.clinic_id, s.patient_id, s.session_id, t.therapist_id, t.started_at,
           s.region, s.side,
           AVG(CASE WHEN s.source = %s THEN s.score END),
           AVG(CASE WHEN s.source = %s THEN s.score END),
           AVG(CASE WHEN s.source = %s THEN s.score END)
    FROM {PainScore._meta.db_table} s
    JOIN {TreatmentSession._meta.db_table} t ON t.id = s.session_id
    JOIN {Patient._meta.db_table} p ON p.id = s.patient_id
    WHERE s.score IS NOT NULL AND {chosen}
    GROUP BY p.clinic_id, s.patient_id, s.session_id, t.therapist_id, t.started_at,
             s.region, s.side
    """  # noqa: S608  # nosec B608 -- table names only; values are bound
    sources = [PainSource.PRE_SESSION, PainSource.POST_SESSION, PainSource.CHECK_IN]
    rebuild(table, patient_ids, sql, [*sources, *params])


def _trigger_point_visits_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Each point with its session's time and its visit: 1 for the first session the patient's
    point in that muscle and side was found in, 2 for the next one, and so on. A muscle or side
    an addendum corrected counts as corrected (the latest correction that set it)."""
    table = TriggerPointVisit._meta.db_table
    chosen, params = for_patients("t.patient_id", patient_ids)
    corrections = PointCorrection._meta.db_table
    sql = f"""
    INSERT INTO {table} (trigger_point_id, clinic_id, patient_id, session_id, therapist_id,
                         started_at, muscle_id, side, released, visit)
    SELECT id, clinic_id, patient_id, session_id, therapist_id, started_at,
           muscle_id, side, released,
           DENSE_RANK() OVER (PARTITION BY patient_id, muscle_id, side
                              ORDER BY started_at, session_id)
    FROM (
        SELECT tp.id, p.clinic_id, t.patient_id, tp.session_id, t.therapist_id, t.started_at,
               tp.released,
               COALESCE((SELECT c.muscle_id FROM {corrections} c
                         WHERE c.trigger_point_id = tp.id AND c.muscle_id IS NOT NULL
                         ORDER BY c.id DESC LIMIT 1), tp.muscle_id) AS muscle_id,
               COALESCE((SELECT c.side FROM {corrections} c
                         WHERE c.trigger_point_id = tp.id AND c.side <> ''
                         ORDER BY c.id DESC LIMIT 1), tp.side) AS side
        FROM {TriggerPoint._meta.db_table} tp
        JOIN {TreatmentSession._meta.db_table} t ON t.id = tp.session_id
        JOIN {Patient._meta.db_table} p ON p.id = t.patient_id
        WHERE {chosen}
    ) corrected
    """  # noqa: S608  # nosec B608 -- table names only; values are bound
    rebuild(table, patient_ids, sql, params)
