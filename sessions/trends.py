"""A patient's trigger-point trends, read in SQL: pressure-pain thresholds per point over
sessions beside the other side and the reference site (a change is real only beyond the clinic's
minimal detectable change), the n-of-1 comparison of techniques by check-in relief, and the
perpetuating factors recorded with the muscles they load."""

from decimal import Decimal
from itertools import groupby

from django.db import connection
from django.db.models import Count, Q, Subquery

from patients.models import BodyRegion, Patient, Side

from .factors import LOADED_MUSCLES
from .forecasts import LEVELS, clinic_forecasts, patient_chronicity, patient_point_forecasts
from .models import (
    Muscle,
    PerpetuatingFactor,
    ReferenceThreshold,
    SessionFactor,
    SessionPain,
    Technique,
    TreatmentSession,
    TriggerPoint,
    TriggerPointSettings,
    TriggerPointVisit,
)

MIN_SESSIONS_PER_TECHNIQUE = 3
# Fischer (Pain 1987) measured the deltoid as the reference: rarely a trigger-point site.
DEFAULT_REFERENCE_MUSCLE = "deltoid"


def is_real_change(change: Decimal | float | None, mdc: Decimal) -> bool:
    """domain.md: a change within the minimal detectable change is measurement error; only a
    change beyond it is called real."""
    return change is not None and abs(Decimal(str(change))) > mdc


_PPT = f"""
WITH measured AS (
    SELECT v.muscle_id, v.side, 'point' AS site, v.session_id, v.started_at,
           AVG(tp.pressure_pain_threshold) AS ppt
    FROM {TriggerPointVisit._meta.db_table} v
    JOIN {TriggerPoint._meta.db_table} tp ON tp.id = v.trigger_point_id
    JOIN {TreatmentSession._meta.db_table} s ON s.id = v.session_id
    WHERE v.patient_id = %(patient)s AND s.discarded_at IS NULL
          AND tp.pressure_pain_threshold IS NOT NULL
    GROUP BY v.muscle_id, v.side, v.session_id, v.started_at
    UNION ALL
    SELECT r.muscle_id, r.side, 'reference', r.session_id, s.started_at, r.pressure_pain_threshold
    FROM {ReferenceThreshold._meta.db_table} r
    JOIN {TreatmentSession._meta.db_table} s ON s.id = r.session_id
    WHERE s.patient_id = %(patient)s AND s.discarded_at IS NULL
),
changed AS (
    SELECT muscle_id, side, site, session_id, started_at, ppt,
           ppt - FIRST_VALUE(ppt) OVER series AS from_first,
           ppt - LAG(ppt) OVER series AS from_previous
    FROM measured
    WINDOW series AS (PARTITION BY muscle_id, side, site ORDER BY started_at, session_id)
)
SELECT mu.slug, mu.name, c.side, c.site, c.session_id,
       {{epoch}}, c.ppt, c.from_first, c.from_previous,
       ABS(c.from_first) > %(mdc)s, ABS(c.from_previous) > %(mdc)s
FROM changed c JOIN {Muscle._meta.db_table} mu ON mu.id = c.muscle_id
ORDER BY c.site, mu.name, c.side, c.started_at, c.session_id
"""  # noqa: S608  # nosec B608 -- table names only; values are bound


def ppt_trends(*, patient: Patient, settings: TriggerPointSettings | None = None) -> dict:
    """Every pressure-pain threshold of the patient: a series per muscle, side and site (a
    trigger point or the reference site), oldest first, each value with its change from the
    first and the previous one and whether that change is real (beyond the clinic's MDC); per
    muscle, the latest difference between sides and against the reference site."""
    settings = settings or TriggerPointSettings.for_clinic(patient.clinic_id)
    mdc = settings.minimal_detectable_change
    bound_mdc: Decimal | float = mdc
    if connection.vendor == "postgresql":
        sql = _PPT.format(epoch="EXTRACT(EPOCH FROM c.started_at)::bigint")
    else:
        # SQLite binds a Decimal as text, which never compares as a number: bind a float.
        sql = _PPT.format(epoch="CAST(strftime('%%s', c.started_at) AS INTEGER)")
        bound_mdc = float(mdc)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"patient": patient.pk, "mdc": bound_mdc})
        rows = cursor.fetchall()
    series = []
    for (slug, name, side, site), values in groupby(rows, key=lambda row: row[:4]):
        series.append(
            {
                "muscle": slug,
                "muscle_name": name,
                "side": side,
                "site": site,
                "values": [
                    {
                        "session": row[4],
                        "at": row[5],
                        "ppt": float(row[6]),
                        "change_from_first": float(row[7]),
                        "change_from_previous": None if row[8] is None else float(row[8]),
                        "real_change_from_first": bool(row[9]),
                        "real_change_from_previous": bool(row[10]),
                    }
                    for row in values
                ],
            }
        )
    return {
        "unit": "kg/cm²",
        "minimal_detectable_change": float(mdc),
        "reference_muscle": settings.reference_muscle.slug if settings.reference_muscle else "",
        "series": series,
        "comparisons": _comparisons(series, mdc),
    }


def _comparisons(series: list[dict], mdc: Decimal) -> list[dict]:
    """Per point series, its latest value against the same muscle's other side and the latest
    reference value (the lower one when both sides were measured): a difference beyond the MDC
    marks local tenderness (Fischer 1987)."""
    latest = {(s["muscle"], s["side"], s["site"]): s["values"][-1]["ppt"] for s in series}
    references = [s["values"][-1]["ppt"] for s in series if s["site"] == "reference"]
    reference = min(references) if references else None
    other = {"left": "right", "right": "left"}
    compared = []
    for s in series:
        if s["site"] != "point":
            continue
        last = s["values"][-1]
        value = last["ppt"]
        opposite = latest.get((s["muscle"], other.get(s["side"], ""), "point"))
        side_gap = None if opposite is None else round(value - opposite, 2)
        reference_gap = None if reference is None else round(value - reference, 2)
        compared.append(
            {
                "muscle": s["muscle"],
                "muscle_name": s["muscle_name"],
                "side": s["side"],
                "latest": value,
                "change_from_first": last["change_from_first"],
                "real_change_from_first": last["real_change_from_first"],
                "other_side_difference": side_gap,
                "other_side_real": is_real_change(side_gap, mdc),
                "reference_difference": reference_gap,
                "reference_real": is_real_change(reference_gap, mdc),
            }
        )
    return compared


_N_OF_1 = f"""
WITH treated AS (
    SELECT DISTINCT v.session_id, mu.region, tp.technique
    FROM {TriggerPointVisit._meta.db_table} v
    JOIN {TriggerPoint._meta.db_table} tp ON tp.id = v.trigger_point_id
    JOIN {Muscle._meta.db_table} mu ON mu.id = v.muscle_id
    JOIN {TreatmentSession._meta.db_table} s ON s.id = v.session_id
    WHERE v.patient_id = %(patient)s AND s.discarded_at IS NULL
),
relief AS (
    SELECT session_id, region, AVG(before - check_in) AS relief
    FROM {SessionPain._meta.db_table}
    WHERE patient_id = %(patient)s AND before IS NOT NULL AND check_in IS NOT NULL
    GROUP BY session_id, region
)
SELECT t.region, t.technique, COUNT(*) AS sessions, AVG(r.relief), MIN(r.relief), MAX(r.relief)
FROM treated t JOIN relief r ON r.session_id = t.session_id AND r.region = t.region
GROUP BY t.region, t.technique
HAVING COUNT(*) >= %(min)s
ORDER BY t.region, AVG(r.relief) DESC, t.technique
"""  # noqa: S608  # nosec B608 -- table names only; values are bound


def n_of_1(*, patient: Patient) -> list[dict]:
    """Per body region, each technique used on it in at least three sessions with a check-in:
    the pain relief from before the session to the check-in (mean, lowest, highest). One
    patient's comparison, not a trial: sessions that combined techniques count for each."""
    with connection.cursor() as cursor:
        cursor.execute(_N_OF_1, {"patient": patient.pk, "min": MIN_SESSIONS_PER_TECHNIQUE})
        rows = cursor.fetchall()
    return [
        {
            "region": region,
            "technique": technique,
            "sessions": sessions,
            "mean_relief": round(mean, 2),
            "lowest_relief": round(low, 2),
            "highest_relief": round(high, 2),
        }
        for region, technique, sessions, mean, low, high in rows
    ]


def recorded_factors(*, patient: Patient) -> dict:
    """The perpetuating factors of the patient's latest session that recorded any, with the
    muscles each loads (one query)."""
    kept = SessionFactor.objects.filter(
        session__patient=patient, session__discarded_at__isnull=True
    )
    latest = kept.order_by("-session__started_at").values("session__started_at")[:1]
    rows = list(
        kept.filter(session__started_at=Subquery(latest))
        .values_list("factor", "session__started_at")
        .distinct()
        .order_by("factor")
    )
    return {
        "recorded_at": rows[0][1] if rows else None,
        "factors": [{"factor": code, "muscles": list(LOADED_MUSCLES[code])} for code, _ in rows],
    }


def loaded_by(factors: list[str]) -> dict[str, list[str]]:
    """Muscle slug -> the recorded factors that keep it loaded."""
    loaded: dict[str, list[str]] = {}
    for code in factors:
        for slug in LOADED_MUSCLES.get(code, ()):
            loaded.setdefault(slug, []).append(code)
    return loaded


def chart_insights(*, patient: Patient) -> dict:
    """What the chart's trigger-point trends section shows: the PPT series (drawn by
    tp_trends.js), each point's forecast with the factors that load its muscle, the n-of-1
    comparison and the factors recorded last, with their labels."""
    factors = recorded_factors(patient=patient)
    labels = dict(PerpetuatingFactor.choices)
    loaded = loaded_by([f["factor"] for f in factors["factors"]])
    settings = TriggerPointSettings.for_clinic(patient.clinic_id)
    shown = {slug for f in factors["factors"] for slug in f["muscles"]}
    names = dict(Muscle.objects.filter(slug__in=shown).values_list("slug", "name")) if shown else {}
    sides = {k: str(v) for k, v in Side.choices}
    kinds = dict(TriggerPoint.Kind.choices)
    points = [
        {
            "point": point,
            "side": sides.get(point.side, point.side),
            "kind": kinds.get(point.kind, point.kind),
            "loaded_by": [str(labels[code]) for code in loaded.get(point.muscle, [])],
        }
        for point in patient_point_forecasts(patient=patient, settings=settings)
    ]
    techniques = dict(Technique.choices)
    regions = dict(BodyRegion.choices)
    ppt = ppt_trends(patient=patient, settings=settings)
    return {
        "ppt": {**ppt, "sides": sides, "time_zone": patient.clinic.time_zone},
        "comparisons": [{**c, "side": sides[c["side"]]} for c in ppt["comparisons"]],
        "points": points,
        "n_of_1": [
            {**row, "region": regions[row["region"]], "technique": techniques[row["technique"]]}
            for row in n_of_1(patient=patient)
        ],
        "min_sessions": MIN_SESSIONS_PER_TECHNIQUE,
        "factors": {
            "recorded_at": factors["recorded_at"],
            "items": [
                {
                    "label": labels[f["factor"]],
                    "muscles": [names.get(slug, slug) for slug in f["muscles"]],
                }
                for f in factors["factors"]
            ],
        },
    }


def recording_insights(*, session: TreatmentSession) -> dict:
    """What the recording page needs to answer a point as soon as it is placed: the clinic's
    forecasts for the patient's chronicity, how many earlier sessions found each of the
    patient's points (and whether it released), the factors with the muscles they load, and
    the clinic's reference site."""
    patient = session.patient
    settings = TriggerPointSettings.for_clinic(patient.clinic_id)
    chronicity = patient_chronicity(patient=patient)
    earlier = (
        TriggerPointVisit.objects.filter(
            patient=patient,
            started_at__lt=session.started_at,
            session__discarded_at__isnull=True,
        )
        .values("muscle__slug", "side")
        .annotate(
            sessions=Count("session", distinct=True),
            released=Count("pk", filter=Q(released=True)),
        )
        .order_by()
    )
    reference = settings.reference_muscle
    return {
        "forecasts": [
            {
                k: row[k]
                for k in ("level", "muscle_slug", "kind", "points", "median", "q25", "q75", "p80")
            }
            for row in clinic_forecasts(clinic_id=patient.clinic_id, chronicity=chronicity)
        ],
        "forecast_min_points": settings.forecast_min_points,
        "forecast_levels": {level: str(text) for level, text in LEVELS.items()},
        "point_history": {
            f"{row['muscle__slug']}|{row['side']}": [row["sessions"], row["released"] > 0]
            for row in earlier
        },
        "factor_muscles": {code: list(slugs) for code, slugs in LOADED_MUSCLES.items()},
        "factor_labels": {code: str(label) for code, label in PerpetuatingFactor.choices},
        "reference_muscle": reference.slug if reference else DEFAULT_REFERENCE_MUSCLE,
    }
