"""Reads about treatment sessions. Functions take the user and go through `visible`, or a patient
that a scoped selector returned."""

import datetime as dt

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.models import RecordVersion
from clinic.permissions import access_for, visible
from clinic.types import User
from patients.models import BodyRegion, PainSource, Patient, Side
from patients.selectors import pain_trend

from .models import (
    HOLD_TARGETS,
    Addendum,
    ChartView,
    MobilityMeasurement,
    Movement,
    Muscle,
    PointCorrection,
    SessionPain,
    SoapTemplate,
    Technique,
    TreatmentSession,
    TriggerPoint,
)

SOAP = ("subjective", "objective", "assessment", "plan")


def session_get(*, user: User, session_id: int) -> TreatmentSession:
    """A session the user may read (clinical staff of its clinic); TreatmentSession.DoesNotExist
    otherwise."""
    return (
        visible(user, TreatmentSession)
        .select_related("patient__clinic", "therapist", "signed_by")
        .get(pk=session_id)
    )


def session_parts(*, session: TreatmentSession) -> TreatmentSession:
    """The session with its pain scores, trigger points (with their corrections), mobility and
    addenda loaded."""
    return (
        TreatmentSession.objects.filter(pk=session.pk)
        .select_related("patient__clinic", "therapist", "signed_by", "discarded_by")
        .prefetch_related(
            "pain_scores",
            Prefetch(
                "trigger_points",
                TriggerPoint.objects.select_related("muscle").prefetch_related(
                    Prefetch(
                        "corrections",
                        PointCorrection.objects.select_related("muscle", "addendum"),
                    )
                ),
            ),
            Prefetch("mobility", MobilityMeasurement.objects.select_related("movement")),
            Prefetch(
                "addenda",
                Addendum.objects.select_related("author").prefetch_related(
                    Prefetch(
                        "corrections",
                        PointCorrection.objects.select_related("muscle", "trigger_point__muscle"),
                    )
                ),
            ),
        )
        .get()
    )


def previous_session(*, session: TreatmentSession) -> TreatmentSession | None:
    """The patient's session before this one, with its trigger points, so the therapist can
    re-assess each point and read the last plan."""
    return (
        TreatmentSession.objects.filter(patient_id=session.patient_id, discarded_at__isnull=True)
        .filter(
            Q(started_at__lt=session.started_at)
            | Q(started_at=session.started_at, pk__lt=session.pk)
        )
        .order_by("-started_at", "-pk")
        .prefetch_related(Prefetch("trigger_points", TriggerPoint.objects.select_related("muscle")))
        .first()
    )


def patient_sessions(*, patient: Patient) -> QuerySet[TreatmentSession]:
    """The chart's timeline: newest first, with each session's trigger-point counts."""
    return (
        patient.sessions.filter(discarded_at__isnull=True)
        .select_related("therapist")
        .annotate(
            points_found=Count("trigger_points"),
            points_released=Count("trigger_points", filter=Q(trigger_points__released=True)),
            addenda_count=Count("addenda", distinct=True),
        )
        .order_by("-started_at", "-pk")
    )


def _corrected(field: str, *, present: Q) -> Subquery:
    """A point's `field` as its latest correction that set it says (None when none did)."""
    latest = PointCorrection.objects.filter(present, trigger_point=OuterRef("pk")).order_by("-pk")
    return Subquery(latest.values(field)[:1])


def corrected_points(points: QuerySet[TriggerPoint]) -> QuerySet[TriggerPoint]:
    """Points with the values their addenda corrected (`c_muscle_id`, `c_side`,
    `c_tenderness`, `c_pressure`), each falling back to the recorded one."""
    return points.annotate(
        c_muscle_id=Coalesce(
            _corrected("muscle_id", present=Q(muscle__isnull=False)), F("muscle_id")
        ),
        c_side=Coalesce(_corrected("side", present=~Q(side="")), F("side")),
        c_tenderness=Coalesce(
            _corrected("tenderness", present=Q(tenderness__isnull=False)), F("tenderness")
        ),
        c_pressure=Coalesce(
            _corrected("pressure", present=Q(pressure__isnull=False)), F("pressure")
        ),
    )


def trigger_point_history(*, patient: Patient) -> list[dict]:
    """Every trigger point of the patient, grouped by muscle and side and ordered in time: the
    same muscle and side across sessions is how a point is followed (domain.md). A point an
    addendum corrected is shown as corrected (its tenderness as `rating`). Discarded drafts
    have no points left. Each carries its session's `day` (ISO, the clinic's zone), written
    once here rather than formatted for each of a long history's hundreds of points as the
    page renders."""
    zone = patient.clinic.zone
    muscle_name = Subquery(Muscle.objects.filter(pk=OuterRef("c_muscle_id")).values("name")[:1])
    points = (
        corrected_points(TriggerPoint.objects.filter(session__patient=patient))
        .annotate(muscle_name=muscle_name)
        .order_by("muscle_name", "c_side", "session__started_at", "pk")
        .values(
            "kind",
            "released",
            "muscle_name",
            rating=F("c_tenderness"),
            started_at=F("session__started_at"),
            side_label=Case(
                *(When(c_side=value, then=Value(str(label))) for value, label in Side.choices),
                output_field=CharField(),
            ),
        )
    )
    return [
        {**point, "day": point["started_at"].astimezone(zone).date().isoformat()}
        for point in points
    ]


def session_pain_curve(*, patient: Patient) -> QuerySet[SessionPain]:
    """One patient's check-in curve: each session's pain per region, before, right after and
    24-48 h after (the derived rows the clinic-wide curve reads), oldest session first."""
    return SessionPain.objects.filter(patient=patient).order_by("started_at", "region", "side")


def mobility_trend(*, patient: Patient) -> QuerySet:
    """Every range-of-motion measurement of one patient, oldest first, in degrees and as a
    percentage of the movement's normal range (computed by the database)."""
    return (
        MobilityMeasurement.objects.filter(patient=patient)
        .order_by("measured_at", "id")
        .values(
            "measured_at",
            "side",
            "degrees",
            "session_id",
            movement_code=F("movement__code"),
            movement_name=F("movement__name"),
            joint=F("movement__joint"),
            normal_degrees=F("movement__normal_degrees"),
        )
        .annotate(percent_of_normal=percent_of_normal())
    )


def percent_of_normal() -> Case:
    """A measurement as % of its movement's normal range, computed by the database; None for
    a reading beyond the movement's plausible maximum (saved before that check existed)."""
    return Case(
        When(degrees__gt=F("movement__max_degrees"), then=Value(None)),
        default=ExpressionWrapper(
            100.0 * F("degrees") / F("movement__normal_degrees"), output_field=FloatField()
        ),
        output_field=FloatField(),
    )


# What a list row shows (time, status, patient and therapist names): the notes' text columns
# stay in the database.
SESSION_ROW = (
    "id",
    "patient_id",
    "therapist_id",
    "started_at",
    "status",
    "patient__first_name",
    "patient__last_name",
    "therapist__username",
    "therapist__first_name",
    "therapist__last_name",
)


def sessions_between(
    *, user: User, start: dt.datetime, end: dt.datetime
) -> QuerySet[TreatmentSession]:
    """A list's rows (SESSION_ROW only), oldest first; `session_time` serves the range."""
    return (
        visible(user, TreatmentSession)
        .filter(started_at__gte=start, started_at__lt=end, discarded_at__isnull=True)
        .select_related("patient", "therapist")
        .only(*SESSION_ROW)
        .order_by("started_at")
    )


def today_bounds() -> tuple[dt.datetime, dt.datetime]:
    """Midnight to midnight in the active (clinic's) time zone."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def unsigned_drafts(*, user: User) -> QuerySet[TreatmentSession]:
    """Drafts waiting for a signature: a therapist's own; everyone's for a manager."""
    drafts = visible(user, TreatmentSession).filter(
        status=TreatmentSession.Status.DRAFT, discarded_at__isnull=True
    )
    if not access_for(user).managed_clinic_ids:
        drafts = drafts.filter(therapist=user)
    return drafts.select_related("patient", "therapist").only(*SESSION_ROW).order_by("started_at")


def session_versions(*, session: TreatmentSession) -> QuerySet[RecordVersion]:
    """The note's past states, newest first, as the database kept them (a trigger on either
    database: clinic/history.py)."""
    return RecordVersion.objects.filter(
        table_name=TreatmentSession._meta.db_table, row_id=session.pk
    ).order_by("-id")


def recording_catalogues(*, clinic_id: int) -> dict:
    """The muscle and movement catalogues, the clinic's SOAP templates and the choices the
    recording page offers."""
    return {
        "muscles": list(
            Muscle.objects.values("slug", "name", "region", "chart_view", "chart_x", "chart_y")
        ),
        "movements": list(
            Movement.objects.values(
                "code", "joint", "name", "normal_degrees", "max_degrees", "bilateral"
            )
        ),
        "templates": list(soap_templates(clinic_id=clinic_id).values("id", "name", *SOAP)),
        "hold_targets": HOLD_TARGETS,
        "regions": BodyRegion.choices,
        "sides": Side.choices,
        "techniques": Technique.choices,
        "kinds": TriggerPoint.Kind.choices,
        "views": ChartView.choices,
        "methods": MobilityMeasurement.Method.choices,
    }


def previous_points(*, previous: TreatmentSession | None) -> list[dict]:
    """Last session's trigger points, shown in grey on the recording page's body chart."""
    if previous is None:
        return []
    return [
        {
            "muscle": t.muscle.slug,
            "muscle_name": t.muscle.name,
            "side": t.side,
            "chart_view": t.chart_view,
            "x": t.x,
            "y": t.y,
            "tenderness": t.tenderness,
            "released": t.released,
        }
        for t in previous.trigger_points.all()
    ]


def record_points(*, session: TreatmentSession) -> list[dict]:
    """The signed record's read-only body map: each point where it was found, numbered as in
    the table and named as corrected."""
    points = []
    for number, t in enumerate(session.trigger_points.all(), 1):
        corrected = t.corrected_values()
        muscle = corrected.get("muscle", t.muscle).name
        side = corrected.get("side", t.get_side_display())
        points.append(
            {
                "view": t.chart_view,
                "x": t.x,
                "y": t.y,
                "number": number,
                "label": f"{number}. {muscle} — {side}",
            }
        )
    return points


def open_draft(*, patient: Patient, therapist: User) -> TreatmentSession | None:
    """The therapist's latest draft for this patient, which "start a session" continues."""
    return (
        patient.sessions.filter(
            status=TreatmentSession.Status.DRAFT, therapist=therapist, discarded_at__isnull=True
        )
        .order_by("-started_at", "-pk")
        .first()
    )


def soap_templates(*, clinic_id: int) -> QuerySet[SoapTemplate]:
    return SoapTemplate.objects.filter(clinic_id=clinic_id).order_by("name")


def soap_template_get(*, user: User, template_id: int) -> SoapTemplate:
    """A template of a clinic the user manages; SoapTemplate.DoesNotExist otherwise."""
    return SoapTemplate.objects.select_related("clinic").get(
        pk=template_id, clinic_id__in=access_for(user).managed_clinic_ids
    )


def copy_forward(*, previous: TreatmentSession | None) -> dict:
    """What "start from the last session" brings: each of its points to re-assess (where and
    what was done, not this session's findings) and its plan."""
    if previous is None:
        return {}
    return {
        "plan": previous.plan,
        "trigger_points": [
            {
                "muscle": t.muscle.slug,
                "side": t.side,
                "chart_view": t.chart_view,
                "x": t.x,
                "y": t.y,
                "kind": t.kind,
                "technique": t.technique,
                "repetitions": t.repetitions,
            }
            for t in previous.trigger_points.all()
        ],
    }


def session_history_rows(*, session: TreatmentSession, limit: int = 200) -> list[dict]:
    """The note's past states as rows of the history page, newest first."""
    return [
        {**version.old_row, "changed_at": version.changed_at, "operation": version.operation}
        for version in session_versions(session=session)[:limit]
    ]


def home_sessions(*, user: User, start: dt.datetime, end: dt.datetime, rows: int) -> dict:
    """The home page's sessions: today's first `rows` (and whether the day goes on: one row
    more than shown, no count query), the last week's and the drafts waiting for a signature."""
    today = list(sessions_between(user=user, start=start, end=end)[: rows + 1])
    return {
        "today": today[:rows],
        "today_more": len(today) > rows,
        "recent": sessions_between(
            user=user, start=start - dt.timedelta(days=7), end=start
        ).reverse()[:15],
        "drafts": unsigned_drafts(user=user)[:30],
    }


# The chart's timeline shows this many sessions a page, newest first.
TIMELINE_PAGE = 20


def timeline_page(*, patient: Patient, page) -> Page:
    """One page of the chart's timeline (`page` as the query gives it: a number; past the end
    is the last page, anything else the first), in two queries however long the history."""
    return Paginator(patient_sessions(patient=patient), TIMELINE_PAGE).get_page(page)


def patient_chart_data(*, patient: Patient) -> dict:
    """What the chart's pain and mobility plots draw, with the labels they need: a series per
    region, side and source (pain) and per movement and side (mobility, in % of normal), each
    point [seconds since 1970, value], oldest first. Each score as an object with its keys was
    most of a long-treated patient's page (issue 19)."""
    pain: dict[tuple, list] = {}
    for at, region, side, source, score in pain_trend(patient=patient).values_list(
        "recorded_at", "region", "side", "source", "score"
    ):
        pain.setdefault((region, side, source), []).append([int(at.timestamp()), score])
    mobility: dict[tuple, list] = {}
    movements: dict[str, dict[str, str]] = {}
    for at, code, side, percent, joint, name in mobility_trend(patient=patient).values_list(
        "measured_at", "movement_code", "side", "percent_of_normal", "joint", "movement_name"
    ):
        if percent is None:  # beyond the movement's maximum: no honest percentage to plot
            continue
        movements.setdefault(code, {"joint": joint, "name": name})
        mobility.setdefault((code, side), []).append([int(at.timestamp()), round(percent, 1)])
    return {
        "pain": [
            {"region": region, "side": side, "source": source, "points": points}
            for (region, side, source), points in pain.items()
        ],
        "mobility": [
            {"movement": code, "side": side, "points": points}
            for (code, side), points in mobility.items()
        ],
        "movements": movements,
        "regions": dict(BodyRegion.choices),
        "sides": dict(Side.choices),
        "sources": dict(PainSource.choices),
        "time_zone": patient.clinic.time_zone,
    }
