"""Derived tables the session reports read instead of every score, point and measurement:
`SessionPain` (the check-in curve), `TriggerPointVisit` (the trigger-point report) and
`MobilityCourse` (the ROM report), with `PainCourse` and `PsfsCourse`.

Like `patients.summaries`: the services that write scores, points, measurements or a session's
time rebuild the affected patients' rows in the same transaction; nothing else writes these
tables."""

from collections.abc import Collection

from django.db import connection

from patients.models import PainScore, PainSource, Patient, Side
from patients.summaries import (
    for_patients,
    pain_courses_refresh,
    patients_lock,
    psfs_courses_refresh,
    rebuild,
)

from .models import (
    MobilityCourse,
    MobilityMeasurement,
    PointCorrection,
    ReferralZone,
    SessionPain,
    SideRelation,
    TreatmentSession,
    TriggerPoint,
    TriggerPointVisit,
)

FULL_REBUILD_WORK_MEM = "64MB"


def summaries_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Rebuild every derived row of `patient_ids` (None: of every patient), inside the caller's
    transaction; the patients stay locked until it ends (see `pain_courses_refresh`)."""
    if patient_ids is None and connection.vendor == "postgresql":
        # Everyone's rows are sorted and grouped at once (the seed, `summaries_rebuild`): with
        # the default 4 MB each sort spills to disk. For this transaction only.
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{FULL_REBUILD_WORK_MEM}'")
    pain_courses_refresh(patient_ids=patient_ids)
    psfs_courses_refresh(patient_ids=patient_ids)
    _session_pain_refresh(patient_ids=patient_ids)
    _trigger_point_visits_refresh(patient_ids=patient_ids)
    # Apart from the visits' rebuild, which migration 0014 runs before the atlas exists.
    trigger_point_concordance_refresh(patient_ids=patient_ids)
    mobility_courses_refresh(patient_ids=patient_ids)


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


# sessions.models.zone_covers in SQL: whether a zone (`z.side_relation`) of a point on side
# `v.side` covers a rating's side `h.side`. Its literals are bound (ZONE_COVERS_PARAMS).
ZONE_COVERS_SQL = """(
    h.side IN (%s, %s) OR z.side_relation IN (%s, %s) OR v.side NOT IN (%s, %s)
    OR (z.side_relation = %s AND h.side = v.side)
    OR (z.side_relation = %s AND h.side <> v.side)
)"""
ZONE_COVERS_PARAMS = [
    *(Side.BOTH, Side.MIDLINE),
    *(SideRelation.MIDLINE, SideRelation.BOTH),
    *(Side.LEFT, Side.RIGHT),
    SideRelation.SAME,
    SideRelation.OPPOSITE,
]


def trigger_point_concordance_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Mark the visits of `patient_ids` whose muscle refers (an essential zone) to where the
    patient hurt before the session. Each rating of a region and side holds from its time until
    the next one of that region and side (ratings at one moment: the last written holds), as
    `sessions.atlas.pain_map_before` reads the latest; intervals are matched, not every rating
    sorted per session, so a full rebuild stays one pass over the scores."""
    rated, rated_params = for_patients("s.patient_id", patient_ids)
    visited, visited_params = for_patients("v.patient_id", patient_ids)
    visits = TriggerPointVisit._meta.db_table
    sources = [PainSource.INTAKE, PainSource.PRE_SESSION, PainSource.CHECK_IN]
    sql = f"""
    WITH rated AS (
        SELECT s.patient_id, s.region, s.side, s.score, s.recorded_at AS valid_from,
               LEAD(s.recorded_at) OVER (PARTITION BY s.patient_id, s.region, s.side
                                         ORDER BY s.recorded_at, s.id) AS valid_to
        FROM {PainScore._meta.db_table} s
        LEFT JOIN {TreatmentSession._meta.db_table} rs ON rs.id = s.session_id
        WHERE {rated} AND s.source IN (%s, %s, %s) AND s.score IS NOT NULL
          AND rs.discarded_at IS NULL
    ),
    hurting AS (SELECT * FROM rated WHERE score >= 1)
    UPDATE {visits} SET concordant = TRUE
    WHERE trigger_point_id IN (
        SELECT v.trigger_point_id FROM {visits} v
        JOIN {ReferralZone._meta.db_table} z ON z.muscle_id = v.muscle_id AND z.essential
        JOIN hurting h ON h.patient_id = v.patient_id AND h.region = z.region
        WHERE {visited} AND h.valid_from <= v.started_at
          AND (h.valid_to IS NULL OR h.valid_to > v.started_at)
          AND {ZONE_COVERS_SQL}
    )
    """  # noqa: S608  # nosec B608 -- table names only; values are bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [*rated_params, *sources, *visited_params, *ZONE_COVERS_PARAMS])


def mobility_courses_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Per patient, movement and side: the first and the most recent measurement, over every
    measurement and over each therapist's own (the patients locked as in `patients_lock`).
    Measurements of one moment are told apart by value: the lowest stands as first, the
    highest as latest."""
    patients_lock(patient_ids)
    table = MobilityCourse._meta.db_table
    chosen, params = for_patients("mm.patient_id", patient_ids)
    sql = f"""
    WITH measured AS (
        SELECT mm.patient_id, mm.movement_id, mm.side, t.therapist_id, mm.degrees,
               mm.measured_at
        FROM {MobilityMeasurement._meta.db_table} mm
        JOIN {TreatmentSession._meta.db_table} t ON t.id = mm.session_id
        WHERE {chosen}
    ),
    scoped AS (
        SELECT patient_id, movement_id, side, NULL AS therapist_id, degrees, measured_at
        FROM measured
        UNION ALL
        SELECT patient_id, movement_id, side, therapist_id, degrees, measured_at FROM measured
    ),
    ranked AS (
        SELECT patient_id, movement_id, side, therapist_id, degrees, measured_at,
               ROW_NUMBER() OVER (PARTITION BY patient_id, movement_id, side, therapist_id
                                  ORDER BY measured_at, degrees) AS nth,
               ROW_NUMBER() OVER (PARTITION BY patient_id, movement_id, side, therapist_id
                                  ORDER BY measured_at DESC, degrees DESC) AS nth_last
        FROM scoped
    )
    INSERT INTO {table} (clinic_id, patient_id, movement_id, side, therapist_id,
                         first, first_at, latest, latest_at)
    SELECT p.clinic_id, r.patient_id, r.movement_id, r.side, r.therapist_id,
           MAX(CASE WHEN r.nth = 1 THEN r.degrees END), MIN(r.measured_at),
           CASE WHEN MAX(r.measured_at) > MIN(r.measured_at)
                THEN MAX(CASE WHEN r.nth_last = 1 THEN r.degrees END) END,
           CASE WHEN MAX(r.measured_at) > MIN(r.measured_at) THEN MAX(r.measured_at) END
    FROM ranked r JOIN {Patient._meta.db_table} p ON p.id = r.patient_id
    GROUP BY p.clinic_id, r.patient_id, r.movement_id, r.side, r.therapist_id
    """  # noqa: S608  # nosec B608 -- table names only; values are bound
    rebuild(table, patient_ids, sql, params)
