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

Courses, session pain, trigger-point visits, PSFS and range-of-motion courses are read from
derived tables (`PainCourse`, `SessionPain`, `TriggerPointVisit`, `PsfsCourse`,
`MobilityCourse`) that the writing services rebuild per patient in the same transaction
(`patients.summaries`, `sessions.summaries`): a report then reads one row per course or treated
region instead of every score, which keeps it fast at half a million scores.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, transaction
from django.db.models import Avg, Exists, Model, OuterRef, Q, QuerySet

from clinic.models import Clinic
from clinic.permissions import visible
from clinic.replica import read_alias
from clinic.types import User
from outcomes.models import Direction, Instrument, InstrumentResponse
from outcomes.selectors import PSFS, PSFS_VERSIONS
from patients.models import (
    ActivityProfile,
    FunctionalScore,
    IntakeSubmission,
    PainCourse,
    PainSource,
    Patient,
    PsfsCourse,
)
from scheduling.hours import working_intervals
from scheduling.models import Appointment, ReminderPolicy
from sessions.models import (
    MobilityCourse,
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
                    patient=OuterRef(patient_ref),
                    therapist_id=filters.therapist_id,
                    discarded_at__isnull=True,
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
    """Run one report statement (on the replica in a report's scope: clinic/replica.py);
    returns its column names and rows."""
    alias = read_alias()
    database = connections[alias]
    if database.vendor != "postgresql":
        with database.cursor() as cursor:
            cursor.execute(sql, params)
            return [col[0] for col in cursor.description], cursor.fetchall()
    with transaction.atomic(using=alias), database.cursor() as cursor:
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
    -- Looked up once per patient (a patient has a course per region), along session_first.
    firsts AS MATERIALIZED (
        SELECT d.patient_id,
               (SELECT s.therapist_id FROM {session_table} s WHERE s.patient_id = d.patient_id
                AND s.discarded_at IS NULL ORDER BY s.started_at, s.id LIMIT 1) AS therapist_id
        FROM (SELECT DISTINCT patient_id FROM picked) d
    ),
    courses AS (
        SELECT c.patient_id, c.cohort, c.baseline, c.latest, {month_sql} AS month,
               f.therapist_id
        FROM picked c JOIN firsts f ON f.patient_id = c.patient_id
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


# -- referral concordance -------------------------------------------------------------------------


def concordance_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """How often the points found refer to where the patient hurts: of the period's trigger
    points (`TriggerPointVisit`, muscle and side as corrected), the share whose muscle has an
    essential referral zone over a region the patient rated 1 or more before that session
    (`concordant`, kept with the points and the scores by
    `sessions.summaries.trigger_point_concordance_refresh`). In total and by therapist."""
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
    tp_sql, tp_params = _cte(visits, "therapist_id", "concordant")
    user_table = cast(
        "type[Model]", TreatmentSession._meta.get_field("therapist").related_model
    )._meta.db_table
    measures = """COUNT(*) AS points,
        SUM(CASE WHEN concordant THEN 1 ELSE 0 END) AS concordant"""
    sql = f"""
    WITH judged (therapist_id, concordant) AS ({tp_sql})
    SELECT 'total' AS dimension, '' AS key, '' AS label, {measures} FROM judged
    UNION ALL
    SELECT 'therapist', CAST(therapist_id AS TEXT), MAX(u.first_name || ' ' || u.last_name),
           {measures}
    FROM judged LEFT JOIN {user_table} u ON u.id = judged.therapist_id GROUP BY therapist_id
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, tp_params


def _concordance_figures(row: dict) -> dict:
    points, concordant = row["points"] or 0, row["concordant"] or 0
    return {
        "points": points,
        "concordant": concordant,
        "share": _round(100 * concordant / points, 1) if points else None,
    }


def concordance(*, user: User, filters: OutcomeFilters) -> dict:
    """The referral concordance of the period, in total and by therapist (most points first)."""
    result: dict[str, Any] = {"total": None, "by_therapist": []}
    for row in _fetch(*concordance_sql(user=user, filters=filters)):
        figures = _concordance_figures(row)
        if row["dimension"] == "total":
            result["total"] = figures
        else:
            result["by_therapist"].append(
                {"therapist": int(row["key"]), "name": (row["label"] or "").strip(), **figures}
            )
    result["by_therapist"].sort(key=lambda r: (-r["points"], r["name"]))
    return result


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
    """Per patient, the mean of the PSFS items at the first rating against the most recent
    one (`PsfsCourse`, kept with the scores; PSFS 2.0 turned round), for the patients whose
    first rating falls in the period and who were rated again since."""
    courses = visible(user, PsfsCourse).filter(
        clinic=filters.clinic,
        baseline_at__gte=filters.start,
        baseline_at__lt=filters.end,
        latest__isnull=False,
    )
    if filters.cohort:
        courses = courses.filter(patient__activity_profile=filters.cohort)
    for condition in _patient_exists(filters, "patient", by_therapist=True):
        courses = courses.filter(condition)
    courses_sql, courses_params = _cte(courses, "baseline", "latest")
    sql = f"""
    WITH pairs (baseline, latest) AS ({courses_sql})
    SELECT COUNT(*) AS patients, AVG(baseline) AS mean_baseline, AVG(latest) AS mean_latest,
           AVG(latest - baseline) AS mean_change,
           SUM(CASE WHEN latest - baseline >= %s THEN 1 ELSE 0 END) AS improved
    FROM pairs
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, [*courses_params, settings.CLINIC_PSFS_MIN_POINTS]


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


# -- outcome instruments (NDI, LEFS, a clinic's own, PSFS) -----------------------------------------
#
# Per instrument version (never pooled across versions): each patient's first scored response
# in the period (baseline) against their most recent one since (latest). `improvement` reads the
# instrument's direction (higher better: latest - baseline; higher worse: baseline - latest); a
# *responder* improved by at least the instrument's MCID; % change is the improvement over the
# baseline (a baseline of 0 has none). PSFS ratings are the mean of the activities rated at one
# moment, as `outcomes.selectors.instrument_scores` reads them. Broken down by therapist (every
# therapist the patient had a session with), cohort (activity profile) and pain region (every
# region the patient has a pain course in): a patient may count under several.

BREAKDOWNS = ("total", "therapist", "cohort", "region")


def _instrument_scores_sql(user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """(patient_id, instrument_id, taken_at, score) of every scored response the user may see,
    PSFS ratings included, for the clinic's patients matching the filters."""
    responses = visible(user, InstrumentResponse).filter(
        patient__clinic=filters.clinic, total__isnull=False
    )
    ratings = visible(user, FunctionalScore).filter(patient__clinic=filters.clinic)
    conditions = _patient_exists(filters, "patient", by_therapist=True)
    if filters.region:
        conditions.append(
            Exists(PainCourse.objects.filter(patient=OuterRef("patient"), region=filters.region))
        )
    for condition in conditions:
        responses = responses.filter(condition)
        ratings = ratings.filter(condition)
    if filters.cohort:
        responses = responses.filter(patient__activity_profile=filters.cohort)
        ratings = ratings.filter(patient__activity_profile=filters.cohort)
    responses_sql, responses_params = _cte(
        responses, "patient_id", "instrument_id", "taken_at", "total"
    )
    ratings_sql, ratings_params = _cte(
        ratings.values("patient_id", "recorded_at", "instrument").annotate(mean=Avg("score")),
        "patient_id",
        "recorded_at",
        "instrument",
        "mean",
    )
    instruments = Instrument._meta.db_table
    sql = f"""
    SELECT patient_id, instrument_id, taken_at, total AS score FROM ({responses_sql}) r
    UNION ALL
    SELECT p.patient_id, i.id, p.recorded_at, p.mean
    FROM ({ratings_sql}) p
    JOIN {instruments} i ON i.clinic_id IS NULL AND i.code = %s
     AND i.version = CASE p.instrument WHEN %s THEN %s ELSE %s END
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, [
        *responses_params,
        *ratings_params,
        PSFS,
        FunctionalScore.Instrument.PSFS_2.value,
        PSFS_VERSIONS[FunctionalScore.Instrument.PSFS_2],
        PSFS_VERSIONS[FunctionalScore.Instrument.PSFS],
    ]


def instrument_change_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    scores_sql, scores_params = _instrument_scores_sql(user, filters)
    instruments = Instrument._meta.db_table
    patients = Patient._meta.db_table
    sessions = TreatmentSession._meta.db_table
    courses = PainCourse._meta.db_table
    figures = """COUNT(*) AS patients, AVG(s.baseline) AS mean_baseline,
           AVG(s.latest) AS mean_latest, AVG(s.latest - s.baseline) AS mean_change,
           AVG(CASE WHEN s.baseline <> 0 THEN 100.0 * (s.latest - s.baseline) / s.baseline END)
             AS mean_percent_change,
           SUM(CASE WHEN s.improvement >= s.mcid THEN 1 ELSE 0 END) AS responders"""
    group = "s.code, s.version, s.direction, s.mcid, s.name"
    sql = f"""
    WITH scores AS ({scores_sql}),
    ranked AS (
      SELECT patient_id, instrument_id, taken_at, score,
             ROW_NUMBER() OVER w_first AS first_n, ROW_NUMBER() OVER w_last AS last_n,
             COUNT(*) OVER (PARTITION BY patient_id, instrument_id) AS taken
      FROM scores
      WINDOW w_first AS (PARTITION BY patient_id, instrument_id ORDER BY taken_at, score),
             w_last AS (PARTITION BY patient_id, instrument_id ORDER BY taken_at DESC, score)
    ),
    scored AS (
      SELECT f.patient_id, i.code, i.version, i.direction, i.mcid, i.name_en AS name,
             f.score AS baseline, l.score AS latest,
             CASE WHEN i.direction = %s THEN l.score - f.score ELSE f.score - l.score END
               AS improvement
      FROM ranked f
      JOIN ranked l ON l.patient_id = f.patient_id AND l.instrument_id = f.instrument_id
       AND l.last_n = 1
      JOIN {instruments} i ON i.id = f.instrument_id
      WHERE f.first_n = 1 AND f.taken > 1 AND f.taken_at >= %s AND f.taken_at < %s
    )
    SELECT 'total' AS breakdown, NULL AS key, {group}, {figures}
    FROM scored s GROUP BY {group}
    UNION ALL
    SELECT 'therapist', CAST(t.therapist_id AS TEXT), {group}, {figures}
    FROM scored s JOIN (SELECT DISTINCT patient_id, therapist_id FROM {sessions}
                        WHERE discarded_at IS NULL) t ON t.patient_id = s.patient_id
    GROUP BY t.therapist_id, {group}
    UNION ALL
    SELECT 'cohort', p.activity_profile, {group}, {figures}
    FROM scored s JOIN {patients} p ON p.id = s.patient_id
    GROUP BY p.activity_profile, {group}
    UNION ALL
    SELECT 'region', c.region, {group}, {figures}
    FROM scored s JOIN (SELECT DISTINCT patient_id, region FROM {courses}) c
      ON c.patient_id = s.patient_id
    GROUP BY c.region, {group}
    ORDER BY 3, 4, 1, 2
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    return sql, [*scores_params, Direction.HIGHER_BETTER.value, filters.start, filters.end]


def instrument_change(*, user: User, filters: OutcomeFilters) -> list[dict]:
    """One entry per instrument version: its figures in total and per therapist, cohort and
    region (one query)."""
    report: dict[tuple[str, str], dict] = {}
    for row in _fetch(*instrument_change_sql(user=user, filters=filters)):
        key = (row["code"], row["version"])
        entry = report.setdefault(
            key,
            {
                "code": row["code"],
                "version": row["version"],
                "name": row["name"],
                "direction": row["direction"],
                "mcid": _round(row["mcid"]),
                **{name: [] for name in BREAKDOWNS[1:]},
            },
        )
        patients = row["patients"]
        figures = {
            "patients": patients,
            "mean_baseline": _round(row["mean_baseline"]),
            "mean_latest": _round(row["mean_latest"]),
            "mean_change": _round(row["mean_change"]),
            "mean_percent_change": _round(row["mean_percent_change"], 1),
            "responders": row["responders"] or 0,
            "responder_rate": _round(100 * (row["responders"] or 0) / patients, 1),
        }
        if row["breakdown"] == "total":
            entry["total"] = figures
        else:
            entry[row["breakdown"]].append({"key": row["key"], **figures})
    return list(report.values())


# -- range of motion ------------------------------------------------------------------------------


def rom_change_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """Per movement: the first and the most recent measurement of each patient and side
    (`MobilityCourse`, kept with the measurements), in degrees and % of the movement's normal
    range, for the first measurements of the period measured again since. Filtered by
    therapist, the first and latest of that therapist's own measurements."""
    courses = visible(user, MobilityCourse).filter(
        clinic=filters.clinic,
        therapist_id=filters.therapist_id,  # None: the rows over every measurement
        first_at__gte=filters.start,
        first_at__lt=filters.end,
        latest__isnull=False,
    )
    if filters.cohort:
        courses = courses.filter(patient__activity_profile=filters.cohort)
    for condition in _patient_exists(filters, "patient", by_therapist=False):
        courses = courses.filter(condition)
    rom_sql, rom_params = _cte(courses, "patient_id", "movement_id", "first", "latest")
    movement_table = Movement._meta.db_table
    sql = f"""
    WITH pairs (patient_id, movement_id, first, latest) AS ({rom_sql})
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
    return sql, rom_params


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


# -- operational figures: the appointment book ---------------------------------------------------
#
# Over the appointments that start in the period (the clinic's dates; one therapist's, when
# chosen):
# - no-show rate: no-shows among the appointments that were due and not cancelled (attended or
#   no-show); late-cancellation rate: cancelled within the clinic's window (kept on the row at
#   cancellation) among all appointments;
# - rebooking rate: attended appointments whose patient's next appointment (by start, with any
#   therapist) was booked before they left: made before the end + REBOOKING_MARGIN, or that day;
# - new patients: seen in the period with no attended appointment or session before it;
# - utilisation per therapist: booked minutes (every appointment but the cancelled: a no-show's
#   time was booked) over working minutes (weekly hours, less leave, changed days as changed).

ATTENDED = (
    Appointment.Status.ARRIVED,
    Appointment.Status.IN_TREATMENT,
    Appointment.Status.COMPLETED,
)
REBOOKING_MARGIN = dt.timedelta(minutes=30)


def operation_appointments(*, user: User, filters: OutcomeFilters) -> QuerySet:
    """The appointments the figures read: the clinic's from the period's start on (every
    therapist's: a patient's next appointment may be with another), later ones included for
    the rebooking rate; the statement narrows them to the period and therapist."""
    return visible(user, Appointment).filter(clinic=filters.clinic, starts_at__gte=filters.start)


def _made_before_leaving(zone: str) -> tuple[str, list]:
    """SQL true when `next_made` came before the patient left: by the end and the margin, or on
    the day of `starts_at` (the clinic's). PostgreSQL compares timestamps; elsewhere, dates."""
    margin = REBOOKING_MARGIN.total_seconds()
    if connection.vendor == "postgresql":
        midnight = (
            "(date_trunc('day', starts_at AT TIME ZONE %s) + interval '1 day') AT TIME ZONE %s"
        )
        return f"next_made < GREATEST(ends_at + make_interval(secs => %s), {midnight})", [
            margin,
            zone,
            zone,
        ]
    made_on, made_params = connection.ops.datetime_cast_date_sql("next_made", (), zone)
    day_of, day_params = connection.ops.datetime_cast_date_sql("starts_at", (), zone)
    early = f"{_epoch_seconds('next_made')} <= {_epoch_seconds('ends_at')} + %s"
    sql = f"({early} OR {made_on} = {day_of})"
    return sql, [margin, *made_params, *day_params]


def operations_sql(*, user: User, filters: OutcomeFilters) -> tuple[str, list]:
    """One statement: the counts behind every rate per therapist (with their booked seconds)
    and in total. A window function finds each appointment's next one."""
    scoped_sql, scoped_params = _cte(
        operation_appointments(user=user, filters=filters),
        "id",
        "patient_id",
        "therapist_id",
        "starts_at",
        "ends_at",
        "status",
        "cancelled_late",
        "created_at",
    )
    left_by, left_params = _made_before_leaving(filters.clinic.time_zone)
    attended = "status IN ({})".format(", ".join(["%s"] * len(ATTENDED)))
    in_period = "starts_at < %s" + (" AND therapist_id = %s" if filters.therapist_id else "")
    period_params = [filters.end] + ([filters.therapist_id] if filters.therapist_id else [])
    rebooked = f"{attended} AND next_made IS NOT NULL AND {left_by}"
    seconds = f"{_epoch_seconds('ends_at')} - {_epoch_seconds('starts_at')}"
    appointments = Appointment._meta.db_table
    sessions = TreatmentSession._meta.db_table
    counts = ("appointments", "attended", "no_shows", "cancelled", "cancelled_late", "rebooked")
    totals = ", ".join(f"SUM({name}) AS {name}" for name in counts)
    sql = f"""
    WITH scoped (id, patient_id, therapist_id, starts_at, ends_at, status, cancelled_late,
                 created_at) AS ({scoped_sql}),
    book AS (
        SELECT *, LEAD(created_at) OVER (PARTITION BY patient_id ORDER BY starts_at, id)
            AS next_made
        FROM scoped
    ),
    period AS (SELECT * FROM book WHERE {in_period}),
    by_therapist AS (
        SELECT therapist_id,
            COUNT(*) AS appointments,
            SUM(CASE WHEN {attended} THEN 1 ELSE 0 END) AS attended,
            SUM(CASE WHEN status = 'no_show' THEN 1 ELSE 0 END) AS no_shows,
            SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
            SUM(CASE WHEN status = 'cancelled' AND cancelled_late THEN 1 ELSE 0 END)
                AS cancelled_late,
            SUM(CASE WHEN {rebooked} THEN 1 ELSE 0 END) AS rebooked,
            SUM(CASE WHEN status <> 'cancelled' THEN {seconds} ELSE 0 END) AS booked_seconds
        FROM period GROUP BY therapist_id
    ),
    seen AS (SELECT DISTINCT patient_id FROM period WHERE {attended})
    SELECT 'total' AS dimension, NULL AS therapist_id, {totals},
        (SELECT COUNT(*) FROM seen) AS patients_seen,
        (SELECT COUNT(*) FROM seen WHERE NOT EXISTS (
            SELECT 1 FROM {appointments} a WHERE a.patient_id = seen.patient_id
                AND a.{attended} AND a.starts_at < %s)
         AND NOT EXISTS (
            SELECT 1 FROM {sessions} s WHERE s.patient_id = seen.patient_id
                AND s.started_at < %s)) AS new_patients,
        NULL AS booked_seconds
    FROM by_therapist
    UNION ALL
    SELECT 'therapist', therapist_id, {", ".join(counts)}, NULL, NULL, booked_seconds
    FROM by_therapist
    """  # noqa: S608  # nosec B608 -- only compiled ORM SQL and table names; values are bound
    statuses = list(ATTENDED)
    params = [
        *scoped_params,
        *period_params,
        *statuses,
        *statuses,
        *left_params,
        *statuses,
        *statuses,
        filters.start,
        filters.start,
    ]
    return sql, params


def _rate(part: float, whole: float) -> float | None:
    return _round(100 * part / whole, 1) if whole else None


def _utilisation(booked: dict[int, float], filters: OutcomeFilters) -> list[dict]:
    """Booked and working hours per therapist: working minutes come from the hours
    (scheduling.hours, the book's own rule for exceptions), three queries."""
    users = get_user_model().objects.filter(
        Q(pk__in=list(booked)) | Q(working_hours__clinic=filters.clinic)
    )
    if filters.therapist_id:
        users = users.filter(pk=filters.therapist_id)
    therapists = list(users.distinct().order_by("last_name", "first_name", "id"))
    hours = working_intervals(
        clinic=filters.clinic,
        therapist_ids=[t.pk for t in therapists],
        first_day=filters.date_from,
        last_day=filters.date_to,
    )
    result = []
    for therapist in therapists:
        booked_minutes = booked.get(therapist.pk, 0) / 60
        days = hours[therapist.pk]
        working_minutes = (
            None
            if days is None
            else sum(
                (end - start).total_seconds() / 60 for day in days.values() for start, end in day
            )
        )
        result.append(
            {
                "therapist": therapist.pk,
                "name": therapist.get_full_name() or therapist.username,
                "booked_hours": _round(booked_minutes / 60, 1),
                "working_hours": None
                if working_minutes is None
                else _round(working_minutes / 60, 1),
                "utilisation": _rate(booked_minutes, working_minutes or 0),
            }
        )
    return result


def _late_cancellation_hours(clinic: Clinic) -> int:
    """The clinic's window as its policy says, or the default a policy starts with."""
    hours = (
        ReminderPolicy.objects.filter(clinic=clinic)
        .values_list("late_cancellation_hours", flat=True)
        .first()
    )
    return (
        ReminderPolicy._meta.get_field("late_cancellation_hours").default
        if hours is None
        else hours
    )


def operations(*, user, filters: OutcomeFilters) -> dict:
    """The appointment book's figures of the period: rates, new and returning patients, and
    utilisation per therapist. A fixed number of queries whatever the clinic's size."""
    rows = _fetch(*operations_sql(user=user, filters=filters))
    totals = next(row for row in rows if row["dimension"] == "total")
    counts = {
        name: int(totals[name] or 0)
        for name in (
            "appointments",
            "attended",
            "no_shows",
            "cancelled",
            "cancelled_late",
            "rebooked",
            "patients_seen",
            "new_patients",
        )
    }
    booked = {
        row["therapist_id"]: float(row["booked_seconds"] or 0)
        for row in rows
        if row["dimension"] == "therapist"
    }
    due = counts["attended"] + counts["no_shows"]
    return {
        **counts,
        "no_show_rate": _rate(counts["no_shows"], due),
        "late_cancellation_rate": _rate(counts["cancelled_late"], counts["appointments"]),
        "rebooking_rate": _rate(counts["rebooked"], counts["attended"]),
        "returning_patients": counts["patients_seen"] - counts["new_patients"],
        "late_cancellation_hours": _late_cancellation_hours(filters.clinic),
        "by_therapist": _utilisation(booked, filters),
    }
