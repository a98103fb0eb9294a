"""Sessions-to-release forecasts: from a clinic's own point history, how many sessions a trigger
point takes to release, by muscle, kind and chronicity, as a Kaplan-Meier estimate.

A point is followed by muscle and side per patient (`TriggerPointVisit`, corrections applied):
its time is the visit at which it first released (an event), or, never released, its last visit
so far (censored: it is known to have lasted at least that long, so it stays in the risk set
until then instead of being dropped, which would make points look faster than they are).

The nightly job (`treatments.release_forecasts_refresh`) stores a few hundred rows per clinic in
`ReleaseForecast`; pages and the API read those rows and the patient's own points in SQL."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic
from patients.models import IntakeSubmission, Patient

from .models import (
    ReleaseForecast,
    TreatmentSession,
    TriggerPoint,
    TriggerPointSettings,
    TriggerPointVisit,
)

# Share still unreleased at which each stored figure is read off the curve: the 25th
# percentile of sessions-to-release is where 75 % remain, and so on.
QUANTILES = {"q25": 0.75, "median": 0.5, "q75": 0.25, "p80": 0.2}
# exp(sum(ln)) is not exact: a curve that is exactly 0.5 must count as having reached it.
EPSILON = 1e-9
LEVELS = {
    3: _("this muscle, kind and chronicity"),
    2: _("this muscle and kind (too few points with this chronicity)"),
    1: _("this muscle (too few points of this kind)"),
    0: _("every point of the clinic (too few points in this muscle)"),
}

_FOLLOWED = f"""
    ranked AS (
        SELECT v.patient_id, v.muscle_id, v.side, v.released, tp.kind,
               DENSE_RANK() OVER (PARTITION BY v.patient_id, v.muscle_id, v.side
                                  ORDER BY v.started_at, v.session_id) AS visit
        FROM {TriggerPointVisit._meta.db_table} v
        JOIN {TriggerPoint._meta.db_table} tp ON tp.id = v.trigger_point_id
        JOIN {TreatmentSession._meta.db_table} s ON s.id = v.session_id
        JOIN {Patient._meta.db_table} p ON p.id = v.patient_id
        WHERE v.clinic_id = %s AND s.discarded_at IS NULL AND p.erasure_requested_at IS NULL
              AND {{patients}}
    ),
    followed AS (
        SELECT patient_id, muscle_id, side,
               CASE WHEN MAX(CASE WHEN visit = 1 AND kind = 'active' THEN 1 ELSE 0 END) = 1
                    THEN 'active' ELSE 'latent' END AS kind,
               MIN(CASE WHEN released THEN visit END) AS released_at,
               MAX(visit) AS last_visit
        FROM ranked GROUP BY patient_id, muscle_id, side
    ),
    chronicity AS (
        SELECT patient_id, duration_category
        FROM (SELECT patient_id, duration_category,
                     ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY submitted_at) AS n
              FROM {IntakeSubmission._meta.db_table}
              WHERE submitted_at IS NOT NULL AND duration_category <> '') first_intake
        WHERE n = 1
    ),
    episodes AS (
        SELECT f.patient_id, f.muscle_id, f.side, f.kind, f.released_at, f.last_visit,
               COALESCE(c.duration_category, 'unknown') AS chronicity,
               COALESCE(f.released_at, f.last_visit) AS t,
               CASE WHEN f.released_at IS NULL THEN 0 ELSE 1 END AS event
        FROM followed f LEFT JOIN chronicity c ON c.patient_id = f.patient_id
    )"""  # noqa: S608  # nosec B608 -- table names only; values are bound

_REFRESH = f"""
WITH {_FOLLOWED.format(patients="1 = 1")},
    grouped AS (
        SELECT CASE GROUPING(muscle_id, kind, chronicity)
                    WHEN 0 THEN 3 WHEN 1 THEN 2 WHEN 3 THEN 1 ELSE 0 END AS level,
               muscle_id, kind, chronicity, t, SUM(event) AS d, COUNT(*) AS m
        FROM episodes
        GROUP BY GROUPING SETS ((muscle_id, kind, chronicity, t), (muscle_id, kind, t),
                                (muscle_id, t), (t))
    ),
    at_risk AS (
        SELECT level, muscle_id, kind, chronicity, t, d, m,
               SUM(m) OVER (PARTITION BY level, muscle_id, kind, chronicity
                            ORDER BY t DESC) AS n
        FROM grouped
    ),
    curve AS (
        SELECT level, muscle_id, kind, chronicity, t, d, m,
               CASE WHEN SUM(CASE WHEN d = n THEN 1 ELSE 0 END)
                         OVER (PARTITION BY level, muscle_id, kind, chronicity ORDER BY t) > 0
                    THEN 0.0
                    ELSE EXP(SUM(CASE WHEN d < n THEN LN(1.0 - d::float / n) ELSE 0 END)
                             OVER (PARTITION BY level, muscle_id, kind, chronicity ORDER BY t))
               END AS s
        FROM at_risk
    )
INSERT INTO {ReleaseForecast._meta.db_table}
    (clinic_id, level, muscle_id, kind, chronicity, points, released,
     q25, median, q75, p80, computed_at)
SELECT %s, level, muscle_id, COALESCE(kind, ''), COALESCE(chronicity, ''), SUM(m), SUM(d),
       {", ".join(f"MIN(t) FILTER (WHERE s <= {q} + {EPSILON})" for q in QUANTILES.values())},
       %s
FROM curve
GROUP BY level, muscle_id, kind, chronicity
"""  # noqa: S608  # nosec B608 -- table names and constants only; values are bound


@transaction.atomic
def release_forecasts_refresh(*, clinic_id: int) -> int:
    """Rebuild the clinic's forecasts from its point history; the number of rows stored.

    The estimate is one PostgreSQL statement (grouping sets, FILTER): on the
    embedded SQLite default nothing is stored and the pages say no forecast is available yet."""
    if connection.vendor != "postgresql":
        return 0
    # One rebuild of a clinic at a time: the second waits and then replaces the first's rows.
    Clinic.objects.select_for_update().filter(pk=clinic_id).values_list("pk").first()
    ReleaseForecast.objects.filter(clinic_id=clinic_id).delete()
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH, [clinic_id, clinic_id, timezone.now()])
        return cursor.rowcount


@dataclass(frozen=True)
class PointForecast:
    """A followed point of a patient with the forecast that answers for it."""

    muscle: str
    muscle_name: str
    side: str
    kind: str
    chronicity: str
    sessions: int
    released_at: int | None
    level: int | None
    group_points: int | None
    median: int | None
    q25: int | None
    q75: int | None
    p80: int | None

    @property
    def not_responding(self) -> bool:
        """Unreleased after as many sessions as 80 % of the clinic's comparable points needed."""
        return self.released_at is None and self.p80 is not None and self.sessions >= self.p80

    @property
    def basis(self) -> str:
        return "" if self.level is None else str(LEVELS[self.level])

    def as_dict(self) -> dict:
        return {
            "muscle": self.muscle,
            "muscle_name": self.muscle_name,
            "side": self.side,
            "kind": self.kind,
            "chronicity": self.chronicity,
            "sessions": self.sessions,
            "released_at_session": self.released_at,
            "forecast": None
            if self.level is None
            else {
                "level": self.level,
                "basis": self.basis,
                "points": self.group_points,
                "median": self.median,
                "q25": self.q25,
                "q75": self.q75,
                "p80": self.p80,
            },
            "not_responding": self.not_responding,
        }


_PATIENT = f"""
WITH {_FOLLOWED.format(patients="v.patient_id = %s")},
    answering AS (
        SELECT e.muscle_id, e.side, r.level, r.points, r.median, r.q25, r.q75, r.p80,
               ROW_NUMBER() OVER (PARTITION BY e.muscle_id, e.side ORDER BY r.level DESC) AS n
        FROM episodes e
        JOIN {ReleaseForecast._meta.db_table} r
          ON r.clinic_id = %s AND r.points >= %s
         AND (r.level = 0
              OR (r.muscle_id = e.muscle_id
                  AND (r.level = 1
                       OR (r.kind = e.kind AND (r.level = 2 OR r.chronicity = e.chronicity)))))
    )
SELECT mu.slug, mu.name, e.side, e.kind, e.chronicity, e.last_visit, e.released_at,
       f.level, f.points, f.median, f.q25, f.q75, f.p80
FROM episodes e
JOIN treatments_muscle mu ON mu.id = e.muscle_id
LEFT JOIN answering f ON f.muscle_id = e.muscle_id AND f.side = e.side AND f.n = 1
ORDER BY e.released_at IS NOT NULL, mu.name, e.side
"""  # noqa: S608  # nosec B608 -- table names only; values are bound


def patient_point_forecasts(
    *, patient: Patient, settings: TriggerPointSettings | None = None
) -> list[PointForecast]:
    """Each of the patient's followed points (muscle and side): sessions so far, the session it
    released at, and the finest forecast group with enough points (the clinic's setting);
    unreleased points first."""
    settings = settings or TriggerPointSettings.for_clinic(patient.clinic_id)
    with connection.cursor() as cursor:
        cursor.execute(
            _PATIENT,
            [patient.clinic_id, patient.pk, patient.clinic_id, settings.forecast_min_points],
        )
        return [PointForecast(*row) for row in cursor.fetchall()]


def clinic_forecasts(
    *,
    clinic_id: int,
    chronicity: str | None = None,
    muscle_id: int | None = None,
    kind: str | None = None,
) -> list[Mapping[str, Any]]:
    """The clinic's stored forecast rows, for the recording page to answer a point as soon as
    it is placed, and for the API. Each filter keeps the coarser rows that ignore it (a group
    that is too thin falls back to them)."""
    rows = ReleaseForecast.objects.filter(clinic_id=clinic_id)
    if chronicity is not None:
        rows = rows.filter(Q(level__lt=3) | Q(chronicity=chronicity))
    if kind is not None:
        rows = rows.filter(Q(level__lt=2) | Q(kind=kind))
    if muscle_id is not None:
        rows = rows.filter(Q(level=0) | Q(muscle_id=muscle_id))
    return list(
        rows.values(
            "level",
            "kind",
            "chronicity",
            "points",
            "released",
            "median",
            "q25",
            "q75",
            "p80",
            "computed_at",
            muscle_slug=F("muscle__slug"),
        ).order_by("-level", "muscle_slug", "kind", "chronicity")
    )


def patient_chronicity(*, patient: Patient) -> str:
    """The chronicity the forecasts group the patient under: the first intake's, else unknown."""
    first = (
        IntakeSubmission.objects.filter(patient=patient, submitted_at__isnull=False)
        .exclude(duration_category="")
        .order_by("submitted_at")
        .values_list("duration_category", flat=True)
        .first()
    )
    return first or "unknown"
