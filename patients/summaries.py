"""Derived tables the outcome reports read instead of every score (`PainCourse`, `PsfsCourse`).

The services that write pain or PSFS scores rebuild the affected patients' rows in the same
transaction, so a report never sees a course that disagrees with the scores. A rebuild is per
patient: it costs one patient's scores however large the clinic grows. Nothing else writes
these tables."""

from collections.abc import Collection

from django.db import connection

from .models import FunctionalScore, PainCourse, PainScore, PainSource, Patient, PsfsCourse

BASELINE_SOURCES = (PainSource.INTAKE, PainSource.PRE_SESSION)
LATEST_SOURCES = (PainSource.PRE_SESSION, PainSource.CHECK_IN)


def for_patients(column: str, patient_ids: Collection[int] | None) -> tuple[str, list]:
    """A WHERE condition on `column` for `patient_ids` (None: every patient)."""
    if patient_ids is None:
        return "1 = 1", []
    if not patient_ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(patient_ids))})", list(patient_ids)


def rebuild(table: str, patient_ids: Collection[int] | None, insert: str, params: list) -> None:
    """Replace the rows of `patient_ids` in the derived `table` with what `insert` selects."""
    deleted, delete_params = for_patients("patient_id", patient_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {deleted}", delete_params)  # noqa: S608  # nosec B608 -- a table name; values are bound
        cursor.execute(insert, params)


def patients_lock(patient_ids: Collection[int] | None) -> None:
    """One rebuild of a patient at a time (a check-in arriving while a draft is saved): a
    second one waits here until the first commits, then its DELETE sees the first one's rows.
    NO KEY UPDATE, not UPDATE: the caller has usually just inserted rows that reference the
    patient, which holds KEY SHARE on it, and two such callers upgrading to UPDATE deadlock.
    A full rebuild (None) runs alone: a migration, the seed or `summaries_rebuild`."""
    if patient_ids is None:
        return
    list(
        Patient.objects.select_for_update(no_key=True)
        .filter(pk__in=patient_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def pain_courses_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Rebuild the courses of `patient_ids` (None: of every patient) from their pain scores,
    inside the caller's transaction.

    Baseline: the first intake or pre-session score; latest: the most recent pre-session or
    check-in score, if it came after the baseline (never a post-session score). Scores of one
    course recorded at the same moment are told apart by value: the lowest stands as baseline,
    the highest as latest (the cautious reading both ways)."""
    patients_lock(patient_ids)
    courses, scores, patients = (
        PainCourse._meta.db_table,
        PainScore._meta.db_table,
        Patient._meta.db_table,
    )
    chosen, params = for_patients("s.patient_id", patient_ids)
    ranked = f"""
        SELECT s.patient_id, s.region, s.side, s.score, s.recorded_at,
               ROW_NUMBER() OVER (PARTITION BY s.patient_id, s.region, s.side
                                  ORDER BY s.recorded_at {{order}}, s.score {{order}}) AS nth
        FROM {scores} s
        WHERE s.score IS NOT NULL AND s.source IN (%s, %s) AND {chosen}"""  # noqa: S608  # nosec B608 -- table names only; values are bound
    sql = f"""
    WITH firsts AS ({ranked.format(order="ASC")}),
         lasts AS ({ranked.format(order="DESC")})
    INSERT INTO {courses}
        (clinic_id, patient_id, region, side, baseline, baseline_at, latest, latest_at)
    SELECT p.clinic_id, f.patient_id, f.region, f.side, f.score, f.recorded_at,
           l.score, l.recorded_at
    FROM firsts f
    JOIN {patients} p ON p.id = f.patient_id
    LEFT JOIN lasts l ON l.patient_id = f.patient_id AND l.region = f.region
         AND l.side = f.side AND l.nth = 1 AND l.recorded_at > f.recorded_at
    WHERE f.nth = 1
    """  # noqa: S608  # nosec B608 -- table names only; values are bound
    rebuild(courses, patient_ids, sql, [*BASELINE_SOURCES, *params, *LATEST_SOURCES, *params])


def psfs_courses_refresh(*, patient_ids: Collection[int] | None) -> None:
    """Rebuild the PSFS courses of `patient_ids` (None: of every patient) from their PSFS
    scores, inside the caller's transaction (the patients locked as for pain courses).

    A rating is the items scored at one moment, as their mean (PSFS 2.0 turned round: 10 -
    score); the baseline is the first rating, the latest the most recent one when there are
    two or more."""
    patients_lock(patient_ids)
    table, scores, patients = (
        PsfsCourse._meta.db_table,
        FunctionalScore._meta.db_table,
        Patient._meta.db_table,
    )
    chosen, params = for_patients("f.patient_id", patient_ids)
    sql = f"""
    WITH ratings AS (
        SELECT f.patient_id, f.recorded_at,
               ROUND(AVG(CASE WHEN f.instrument = %s THEN 10 - f.score ELSE f.score END * 1.0), 4)
                   AS mean
        FROM {scores} f WHERE {chosen}
        GROUP BY f.patient_id, f.recorded_at
    ),
    ranked AS (
        SELECT patient_id, recorded_at, mean,
               ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY recorded_at) AS nth,
               ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY recorded_at DESC) AS nth_last
        FROM ratings
    )
    INSERT INTO {table} (patient_id, clinic_id, baseline, baseline_at, latest, latest_at)
    SELECT r.patient_id, p.clinic_id,
           MAX(CASE WHEN r.nth = 1 THEN r.mean END), MIN(r.recorded_at),
           MAX(CASE WHEN r.nth_last = 1 AND r.nth > 1 THEN r.mean END),
           CASE WHEN COUNT(*) > 1 THEN MAX(r.recorded_at) END
    FROM ranked r JOIN {patients} p ON p.id = r.patient_id
    GROUP BY r.patient_id, p.clinic_id
    """  # noqa: S608  # nosec B608 -- table names only; values are bound
    rebuild(table, patient_ids, sql, [FunctionalScore.Instrument.PSFS_2, *params])
