"""Outcome reports: SQL aggregates over pain, function, trigger points and range of motion.

Each report is one query. The rows it may read come from a queryset narrowed by
`clinic.permissions.visible` (and the report's filters); its compiled SQL is the first CTE of a
statement whose window functions and aggregates do the arithmetic in the database, so no Python
loop ever walks the rows. What comes back is a handful of summary rows.

Definitions (../shared/domain.md):
- a *course* is one patient's pain in one body region and side;
- its *baseline* is the first `intake` or `pre_session` score, its *latest* the most recent
  `pre_session` or `check_in` score after the baseline (never a post-session score: soreness
  right after a session understates the benefit);
- a course counts in a period when its baseline falls in the period, and in the month (clinic
  time zone) of its baseline;
- a *responder*: latest <= baseline - CLINIC_RESPONDER_MIN_POINTS and latest <= baseline *
  (100 - CLINIC_RESPONDER_MIN_PERCENT) %; a baseline of 0 or 1 cannot improve meaningfully, so
  such courses are left out of every mean and rate and counted as `excluded_low_baseline`;
- scores of one course recorded at the same moment are told apart by value: the lowest stands
  as baseline, the highest as latest (the cautious reading both ways).

Courses, session pain and trigger-point visits are read from derived tables (`PainCourse`,
`SessionPain`, `TriggerPointVisit`) that the writing services rebuild per patient in the same
transaction (`patients.summaries`, `sessions.summaries`): a report then reads one row per course
or treated region instead of every score, which keeps it fast at half a million scores.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet

from clinic.models import Clinic
from clinic.permissions import visible
from clinic.types import User
from patients.models import (
    ActivityProfile,
    FunctionalScore,
    IntakeSubmission,
    PainCourse,
    PainSource,
)
from sessions.models import (
    MobilityMeasurement,
    Movement,
    Muscle,
    SessionPain,
    TreatmentSession,
    TriggerPointVisit,
)


@dataclass(frozen=True)
class OutcomeFilters:
    """One clinic's period (dates in the clinic's zone, both inclusive) and optional filters."""

    clinic: Clinic
    date_from: dt.date
    date_to: dt.date
    therapist_id: int | None = None
    cohort: str = ""  # the patient's activity profile
    duration: str = ""  # chronicity at intake
    region: str = ""

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=self.clinic.zone)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        next_day = self.date_to + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time.min, tzinfo=self.clinic.zone)


def _patients_matching(filters: OutcomeFilters, patient_path: str) -> dict:
    """Filter kwargs narrowing rows reached through `patient_path` to the report's clinic and,
    when chosen, cohort."""
    conditions: dict[str, object] = {f"{patient_path}__clinic": filters.clinic}
    if filters.cohort:
        conditions[f"{patient_path}__activity_profile"] = filters.cohort
    return conditions


def _patient_exists(filters: OutcomeFilters, patient_ref: str, *, by_therapist: bool) -> list:
    """EXISTS conditions for chronicity (any intake of that category) and, when the rows have
    no therapist of their own, therapist (the patient had a session with them)."""
    exists = []
    if filters.duration:
        exists.append(
            Exists(
                IntakeSubmission.objects.filter(
                    patient=OuterRef(patient_ref), duration_category=filters.duration
                )
            )
        )
    if by_therapist and filters.therapist_id:
        exists.append(
            Exists(
                TreatmentSession.objects.filter(
                    patient=OuterRef(patient_ref), therapist_id=filters.therapist_id
                )
            )
        )
    return exists


# The statements below interpolate only SQL the ORM compiled and table names from the models;
# every value travels as a bound parameter.
def _cte(queryset: QuerySet, *columns: str) -> tuple[str, list]:
    """The compiled SQL of a scoped queryset, to stand as a CTE named with `columns`."""
    try:
        sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()
    except EmptyResultSet:  # the user may see none of these rows: a CTE with the same columns
        nothing = queryset.model._default_manager.filter(pk__lt=0)
        sql, params = nothing.values_list(*columns).query.sql_with_params()
    return sql, list(params)


def _month(column: str, filters: OutcomeFilters) -> tuple[str, list]:
    """SQL truncating `column` to the first of its month in the clinic's time zone."""
    # The stubs say str; since Django 4.2 it answers (sql, params).
    trunc: tuple[str, tuple] = connection.ops.datetime_trunc_sql(  # type: ignore[assignment]
        "month", column, (), filters.clinic.time_zone
    )
    sql, params = trunc
    return sql, list(params)


def _epoch_seconds(column: str) -> str:
    """SQL for whole seconds since 1970 of a datetime column, on either backend."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _month_label(value) -> str:
    """'2026-03' from whatever the backend returns for a truncated month (datetime or text)."""
    return str(value)[:7]


# A report sorts and hashes a whole clinic's rows: with PostgreSQL's default 4 MB a sort of a
# 5,000-patient clinic spills to disk. Raised for the report's own transaction only.
REPORT_WORK_MEM = "32MB"


def run_report_sql(sql: str, params: list) -> tuple[list[str], list[tuple]]:
    """Run one report statement; returns its column names and rows."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [col[0] for col in cursor.description], cursor.fetchall()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        cursor.execute(sql, params)
        return [col[0] for col in cursor.description], cursor.fetchall()


def _fetch(sql: str, params: list) -> list[dict]:
    names, rows = run_report_sql(sql, params)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _round(value, places: int = 2):
    return None if value is None else round(float(value), places)


# -- clinic outcomes -----------------------------------------------------------------------------


def outcome_courses(*, user: User, filters: OutcomeFilters) -> QuerySet:
    """The courses the outcome report may read: baseline in the period, and the filters."""
    courses = visible(user, PainCourse).filter(
        clinic=filters.clinic, baseline_at__gte=filters.start, baseline_at__lt=filters.end
    )
    if filters.cohort:
        courses = courses.filter(patient__activity_profile=filters.cohort)
    if filters.region:
        courses = courses.filter(region=filters.region)
    for condition in _patient_exists(filters, "patient", by_therapist=True):
        courses = courses.filter(condition)
    return courses


def clinic_outcomes_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """One statement: every course of the period (`PainCourse`, kept with the scores), summed
    up in total and by month, therapist (the one who first treated the patient) and cohort."""
    courses_sql, courses_params = _cte(
        outcome_courses(user=user, filters=filters),
        "patient_id",
        "patient__activity_profile",
        "baseline",
        "latest",
        "baseline_at",
    )
    month_sql, month_params = _month("c.baseline_at", filters)
    session_table = TreatmentSession._meta.db_table
    user_table = cast(
        "type[Model]", TreatmentSession._meta.get_field("therapist").related_model
    )._meta.db_table
    evaluated = "latest IS NOT NULL AND baseline > 1"
    responder = f"{evaluated} AND latest <= baseline - %s AND latest * 100 <= baseline * (100 - %s)"
    measures = f"""
        COUNT(DISTINCT patient_id) AS patients,
        COUNT(*) AS courses,
        SUM(CASE WHEN latest IS NOT NULL AND baseline <= 1 THEN 1 ELSE 0 END)
            AS excluded_low_baseline,
        SUM(CASE WHEN {evaluated} THEN 1 ELSE 0 END) AS evaluated,
        AVG(CASE WHEN {evaluated} THEN baseline END) AS mean_baseline,
        AVG(CASE WHEN {evaluated} THEN latest END) AS mean_latest,
        AVG(CASE WHEN {evaluated} THEN latest - baseline END) AS mean_change,
        SUM(CASE WHEN {responder} THEN 1 ELSE 0 END) AS responders"""
    thresholds = [settings.CLINIC_RESPONDER_MIN_POINTS, settings.CLINIC_RESPONDER_MIN_PERCENT]
    sql = f"""
    WITH picked (patient_id, cohort, baseline, latest, baseline_at) AS ({courses_sql}),
    courses AS (
        SELECT c.patient_id, c.cohort, c.baseline, c.latest, {month_sql} AS month,
               (SELECT s.therapist_id FROM {session_table} s WHERE s.patient_id = c.patient_id
                ORDER BY s.started_at, s.id LIMIT 1) AS therapist_id
        FROM picked c
    )
    SELECT 'total' AS dimension, '' AS key, '' AS label, {measures} FROM courses
    UNION ALL
    SELECT 'month', CAST(month AS TEXT), '', {measures} FROM courses GROUP BY month
    UNION ALL
    SELECT 'therapist', CAST(therapist_id AS TEXT), MAX(u.first_name || ' ' || u.last_name),
           {measures.replace("patient_id", "courses.patient_id")}
    FROM courses LEFT JOIN {user_table} u ON u.id = courses.therapist_id GROUP BY therapist_id
    UNION ALL
    SELECT 'cohort', cohort, '', {measures} FROM courses GROUP BY cohort
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, [*courses_params, *month_params, *(thresholds * 4)]


def _outcome_figures(row: dict) -> dict:
    evaluated = row["evaluated"] or 0
    baseline, latest = _round(row["mean_baseline"]), _round(row["mean_latest"])
    return {
        "patients": row["patients"],
        "courses": row["courses"],
        "evaluated": evaluated,
        "excluded_low_baseline": row["excluded_low_baseline"] or 0,
        "mean_baseline": baseline,
        "mean_latest": latest,
        "mean_change": _round(row["mean_change"]),
        "percent_change": _round(
            100 * (row["mean_latest"] - row["mean_baseline"]) / row["mean_baseline"], 1
        )
        if evaluated
        else None,
        "responders": row["responders"] or 0,
        "responder_rate": _round(100 * row["responders"] / evaluated, 1) if evaluated else None,
    }


def clinic_outcomes(*, user: User, filters: OutcomeFilters) -> dict:
    """Pain outcomes of the period: the total, then by month, therapist and cohort."""
    rows = _fetch(*clinic_outcomes_sql(user=user, filters=filters))
    result: dict[str, Any] = {"total": None, "by_month": [], "by_therapist": [], "by_cohort": []}
    cohorts = dict(ActivityProfile.choices)
    for row in rows:
        figures = _outcome_figures(row)
        match row["dimension"]:
            case "total":
                result["total"] = figures
            case "month":
                result["by_month"].append({"month": _month_label(row["key"]), **figures})
            case "therapist":
                result["by_therapist"].append(
                    {
                        "therapist": int(row["key"]) if row["key"] else None,
                        "name": (row["label"] or "").strip(),
                        **figures,
                    }
                )
            case "cohort":
                result["by_cohort"].append(
                    {"cohort": row["key"], "label": str(cohorts.get(row["key"], "")), **figures}
                )
    result["by_month"].sort(key=lambda r: r["month"])
    result["by_therapist"].sort(key=lambda r: -r["courses"])
    result["by_cohort"].sort(key=lambda r: r["cohort"])
    return result


# -- trigger points -------------------------------------------------------------------------------


def trigger_points_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """Per muscle: points found in the period's sessions, the share released, and for each
    point (patient, muscle, side) followed over sessions, how many sessions it took to release:
    its visits (`TriggerPointVisit`) from the first in the period to the first release."""
    visits = visible(user, TriggerPointVisit).filter(
        clinic=filters.clinic, started_at__gte=filters.start, started_at__lt=filters.end
    )
    if filters.cohort:
        visits = visits.filter(patient__activity_profile=filters.cohort)
    if filters.region:
        visits = visits.filter(muscle__region=filters.region)
    if filters.therapist_id:
        visits = visits.filter(therapist_id=filters.therapist_id)
    for condition in _patient_exists(filters, "patient", by_therapist=False):
        visits = visits.filter(condition)
    tp_sql, tp_params = _cte(visits, "muscle_id", "patient_id", "side", "released", "visit")
    muscle_table = Muscle._meta.db_table
    sql = f"""
    WITH tp (muscle_id, patient_id, side, released, visit) AS ({tp_sql}),
    followed AS (
        SELECT muscle_id, patient_id, COUNT(*) AS found,
               SUM(CASE WHEN released THEN 1 ELSE 0 END) AS released,
               MIN(CASE WHEN released THEN visit END) - MIN(visit) + 1 AS sessions_to_release
        FROM tp GROUP BY muscle_id, patient_id, side
    )
    SELECT m.slug AS muscle, m.name AS muscle_name, m.region AS region,
           SUM(f.found) AS found, SUM(f.released) AS released,
           COUNT(*) AS points, COUNT(DISTINCT f.patient_id) AS patients,
           COUNT(f.sessions_to_release) AS points_released,
           AVG(f.sessions_to_release) AS mean_sessions_to_release
    FROM followed f JOIN {muscle_table} m ON m.id = f.muscle_id
    GROUP BY m.id, m.slug, m.name, m.region
    ORDER BY SUM(f.found) DESC, m.name
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, tp_params


def trigger_points_by_muscle(*, user: User, filters: OutcomeFilters) -> list[dict]:
    return [
        {
            **{k: row[k] for k in ("muscle", "muscle_name", "region", "found", "released")},
            "points": row["points"],
            "patients": row["patients"],
            "share_released": _round(100 * row["released"] / row["found"], 1),
            "points_released": row["points_released"],
            "mean_sessions_to_release": _round(row["mean_sessions_to_release"]),
        }
        for row in _fetch(*trigger_points_sql(user=user, filters=filters))
    ]


# -- the check-in curve ---------------------------------------------------------------------------


def check_in_curve_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """Mean pain before, right after and 24-48 h after the period's sessions, over the session
    regions rated all three times (`SessionPain`), so that the three means describe the same
    courses."""
    rated = visible(user, SessionPain).filter(
        clinic=filters.clinic,
        started_at__gte=filters.start,
        started_at__lt=filters.end,
        before__isnull=False,
        after__isnull=False,
        check_in__isnull=False,
    )
    if filters.cohort:
        rated = rated.filter(patient__activity_profile=filters.cohort)
    if filters.region:
        rated = rated.filter(region=filters.region)
    if filters.therapist_id:
        rated = rated.filter(therapist_id=filters.therapist_id)
    for condition in _patient_exists(filters, "patient", by_therapist=False):
        rated = rated.filter(condition)
    rated_sql, rated_params = _cte(rated, "session_id", "before", "after", "check_in")
    sql = f"""
    WITH rated (session_id, before, after, check_in) AS ({rated_sql})
    SELECT COUNT(*) AS regions, COUNT(DISTINCT session_id) AS sessions,
           AVG(before) AS before, AVG(after) AS after, AVG(check_in) AS check_in
    FROM rated
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, rated_params


CURVE_ORDER = (PainSource.PRE_SESSION, PainSource.POST_SESSION, PainSource.CHECK_IN)


def check_in_curve(*, user: User, filters: OutcomeFilters) -> dict:
    (row,) = _fetch(*check_in_curve_sql(user=user, filters=filters))
    labels = dict(PainSource.choices)
    return {
        "sessions": row["sessions"],
        "regions": row["regions"],
        "points": [
            {"source": source, "label": str(labels[source]), "mean": _round(row[column])}
            for source, column in zip(CURVE_ORDER, ("before", "after", "check_in"), strict=True)
        ],
    }


# -- PSFS -----------------------------------------------------------------------------------------


def psfs_change_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """Per patient, the mean of the PSFS items at the first rating of the period against the
    most recent one. PSFS 2.0 runs the other way and is turned round (10 - score) first."""
    items = visible(user, FunctionalScore).filter(**_patients_matching(filters, "patient"))
    for condition in _patient_exists(filters, "patient", by_therapist=True):
        items = items.filter(condition)
    items_sql, items_params = _cte(items, "patient_id", "recorded_at", "instrument", "score")
    sql = f"""
    WITH items (patient_id, recorded_at, instrument, score) AS ({items_sql}),
    ratings AS (
        SELECT patient_id, recorded_at,
               AVG(CASE WHEN instrument = %s THEN 10 - score ELSE score END * 1.0) AS mean
        FROM items GROUP BY patient_id, recorded_at
    ),
    marked AS (
        SELECT patient_id, recorded_at, mean,
               ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY recorded_at) AS nth,
               COUNT(*) OVER (PARTITION BY patient_id) AS total
        FROM ratings
    ),
    pairs AS (
        SELECT MAX(CASE WHEN nth = 1 THEN mean END) AS baseline,
               MAX(CASE WHEN nth = total THEN mean END) AS latest
        FROM marked GROUP BY patient_id
        HAVING COUNT(*) > 1 AND MIN(recorded_at) >= %s AND MIN(recorded_at) < %s
    )
    SELECT COUNT(*) AS patients, AVG(baseline) AS mean_baseline, AVG(latest) AS mean_latest,
           AVG(latest - baseline) AS mean_change,
           SUM(CASE WHEN latest - baseline >= %s THEN 1 ELSE 0 END) AS improved
    FROM pairs
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, [
        *items_params,
        FunctionalScore.Instrument.PSFS_2,
        filters.start,
        filters.end,
        settings.CLINIC_PSFS_MIN_POINTS,
    ]


def psfs_change(*, user: User, filters: OutcomeFilters) -> dict:
    (row,) = _fetch(*psfs_change_sql(user=user, filters=filters))
    patients = row["patients"]
    return {
        "patients": patients,
        "mean_baseline": _round(row["mean_baseline"]),
        "mean_latest": _round(row["mean_latest"]),
        "mean_change": _round(row["mean_change"]),
        "improved": row["improved"] or 0,
        "improved_rate": _round(100 * row["improved"] / patients, 1) if patients else None,
        "min_points": settings.CLINIC_PSFS_MIN_POINTS,
    }


# -- range of motion ------------------------------------------------------------------------------


def rom_change_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """Per movement: the first and the most recent measurement of each patient and side, in
    degrees and % of the movement's normal range."""
    measures = visible(user, MobilityMeasurement).filter(**_patients_matching(filters, "patient"))
    if filters.therapist_id:
        measures = measures.filter(session__therapist_id=filters.therapist_id)
    for condition in _patient_exists(filters, "patient", by_therapist=False):
        measures = measures.filter(condition)
    rom_sql, rom_params = _cte(
        measures, "id", "patient_id", "movement_id", "side", "degrees", "measured_at"
    )
    movement_table = Movement._meta.db_table
    epoch = _epoch_seconds("measured_at")
    sql = f"""
    WITH rom (id, patient_id, movement_id, side, degrees, measured_at) AS ({rom_sql}),
    -- Degrees packed after their time (seconds * 1000 + degrees): MIN is the first
    -- measurement, MAX the last, in one hash aggregate.
    pairs AS (
        SELECT patient_id, movement_id,
               MIN({epoch} * 1000 + degrees) %% 1000 AS first,
               MAX({epoch} * 1000 + degrees) %% 1000 AS latest
        FROM rom GROUP BY patient_id, movement_id, side
        HAVING MAX(measured_at) > MIN(measured_at)
           AND MIN(measured_at) >= %s AND MIN(measured_at) < %s
    )
    SELECT m.code AS movement, m.joint AS joint, m.name AS name,
           m.normal_degrees AS normal_degrees, COUNT(*) AS measured,
           COUNT(DISTINCT p.patient_id) AS patients,
           AVG(p.first * 1.0) AS mean_first, AVG(p.latest * 1.0) AS mean_latest,
           AVG((p.latest - p.first) * 1.0) AS mean_change,
           AVG(100.0 * p.first / m.normal_degrees) AS first_percent_of_normal,
           AVG(100.0 * p.latest / m.normal_degrees) AS latest_percent_of_normal
    FROM pairs p JOIN {movement_table} m ON m.id = p.movement_id
    GROUP BY m.id, m.code, m.joint, m.name, m.normal_degrees
    ORDER BY m.joint, m.name
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, [*rom_params, filters.start, filters.end]


def rom_change(*, user: User, filters: OutcomeFilters) -> list[dict]:
    rounded = (
        "mean_first",
        "mean_latest",
        "mean_change",
        "first_percent_of_normal",
        "latest_percent_of_normal",
    )
    return [
        {**row, **{name: _round(row[name], 1) for name in rounded}}
        for row in _fetch(*rom_change_sql(user=user, filters=filters))
    ]
