"""Reads about instruments and their scores. Staff reads go through `visible`; the two
interface functions (`instrument_scores`, `psfs_item_ratings`) take patient ids the caller has
already scoped (a plan of care, a report), so they serve pages and reports alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from clinic.permissions import access_for, unrestricted, visible
from clinic.tokens import token_hash
from clinic.types import User
from patients.models import FunctionalScore, PainScore, PainSource, Patient
from patients.selectors import MAX_TOKEN_LENGTH

from .models import Instrument, InstrumentResponse, QuestionnaireRequest

# FunctionalScore's instrument column -> the PSFS definition's version.
PSFS_VERSIONS: dict[str, str] = {
    FunctionalScore.Instrument.PSFS.value: "1",
    FunctionalScore.Instrument.PSFS_2.value: "2.0",
}
PSFS = "psfs"


class InstrumentScore(NamedTuple):
    patient_id: int
    code: str
    version: str
    taken_at: dt.datetime
    score: Decimal
    direction: str
    mcid: Decimal


class PsfsItemRating(NamedTuple):
    patient_id: int
    activity: str
    taken_at: dt.datetime
    score: int


def instruments_for_clinic(*, clinic_id: int) -> QuerySet[Instrument]:
    """The active definitions a clinic may use: those shipped and its own loaded ones."""
    return Instrument.objects.filter(Q(clinic__isnull=True) | Q(clinic_id=clinic_id), active=True)


def instrument_get(*, user: User, instrument_id: int) -> Instrument:
    """An instrument of one of the user's clinics (or shipped); DoesNotExist otherwise."""
    clinics = access_for(user).clinic_ids
    return Instrument.objects.filter(Q(clinic__isnull=True) | Q(clinic_id__in=clinics)).get(
        pk=instrument_id
    )


def instrument_scores(
    *, patient_ids: Collection[int], codes: Collection[str] | None = None
) -> list[InstrumentScore]:
    """Every scored response of the patients, oldest first: the indices' totals (their own
    rule's, stored with the response) and each PSFS rating as the mean of the activities rated
    at that moment (PSFS's own rule; version 1 and 2.0 kept apart, each with its direction).
    One query."""
    ids = list(patient_ids)
    if not ids:
        return []
    wanted = sorted(set(codes)) if codes is not None else None
    # IN with one placeholder a value: both PostgreSQL and SQLite run it (= ANY is PostgreSQL's).
    in_ids = ", ".join(["%s"] * len(ids))
    if wanted is None:
        code_filter = ""
    elif wanted:
        code_filter = f"AND i.code IN ({', '.join(['%s'] * len(wanted))})"
    else:
        code_filter = "AND 1 = 0"
    psfs_filter = "" if wanted is None or PSFS in wanted else "AND 1 = 0"
    responses = InstrumentResponse._meta.db_table
    instruments = Instrument._meta.db_table
    scores = FunctionalScore._meta.db_table
    sql = f"""
    SELECT r.patient_id, i.code, i.version, r.taken_at, r.total, i.direction, i.mcid
    FROM {responses} r JOIN {instruments} i ON i.id = r.instrument_id
    WHERE r.patient_id IN ({in_ids}) AND r.total IS NOT NULL {code_filter}
    UNION ALL
    SELECT s.patient_id, i.code, i.version, s.recorded_at, ROUND(AVG(s.score), 2),
           i.direction, i.mcid
    FROM {scores} s JOIN {instruments} i
      ON i.clinic_id IS NULL AND i.code = %s
     AND i.version = CASE s.instrument WHEN %s THEN %s ELSE %s END
    WHERE s.patient_id IN ({in_ids}) {psfs_filter}
    GROUP BY s.patient_id, i.code, i.version, s.recorded_at, i.direction, i.mcid
    ORDER BY 4, 1, 2, 3
    """  # noqa: S608  # nosec B608 -- table names from the models; values are bound
    params: list = [*ids]
    if wanted:
        params += wanted
    params += [
        PSFS,
        FunctionalScore.Instrument.PSFS_2.value,
        PSFS_VERSIONS[FunctionalScore.Instrument.PSFS_2],
        PSFS_VERSIONS[FunctionalScore.Instrument.PSFS],
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [InstrumentScore(*row) for row in cursor.fetchall()]


def psfs_item_ratings(*, patient_ids: Collection[int]) -> list[PsfsItemRating]:
    """Every PSFS activity rating of the patients, oldest first, as the patient gave it (the
    version's own scale: see `instrument_scores` for the direction)."""
    rows = (
        FunctionalScore.objects.filter(patient_id__in=list(patient_ids))
        .order_by("recorded_at", "patient_id", "item")
        .values_list("patient_id", "activity", "recorded_at", "score")
    )
    return [PsfsItemRating(*row) for row in rows]


def psfs_activities(*, patient: Patient) -> list[str]:
    """The activities the patient has named (at intake or since), in their item order: the
    ones a re-rating asks about again."""
    rows = (
        FunctionalScore.objects.filter(patient=patient)
        .order_by("item", "-recorded_at")
        .values_list("item", "activity")
    )
    # The latest activity of each item (the first of its rows here); portable, unlike DISTINCT ON.
    latest: dict[int, str] = {}
    for item, activity in rows:
        latest.setdefault(item, activity)
    return list(latest.values())


def intake_instruments(*, patient: Patient) -> list[Instrument]:
    """The region-specific instruments the patient's intake calls for: those whose regions
    include a region the patient rated at intake (neck -> NDI, lower limb -> LEFS)."""
    regions = set(
        PainScore.objects.filter(patient=patient, source=PainSource.INTAKE).values_list(
            "region", flat=True
        )
    )
    chosen: dict[str, Instrument] = {}
    for instrument in instruments_for_clinic(clinic_id=patient.clinic_id).order_by("-loaded_at"):
        # A clinic's own version of a code wins over the shipped one (newest first).
        if instrument.code not in chosen and regions.intersection(instrument.regions):
            chosen[instrument.code] = instrument
    return sorted(chosen.values(), key=lambda i: i.code)


def followed_instruments(*, patient: Patient) -> list[Instrument]:
    """The instruments a patient is followed with: the indices they answered or their intake
    calls for (the newest version of each code), and PSFS once they have named activities
    (the version of their latest rating)."""
    answered = Instrument.objects.filter(
        pk__in=InstrumentResponse.objects.filter(patient=patient).values("instrument")
    )
    chosen = {i.code: i for i in intake_instruments(patient=patient)}
    for instrument in answered.order_by("loaded_at"):
        chosen[instrument.code] = instrument
    latest = FunctionalScore.objects.filter(patient=patient).order_by("-recorded_at").first()
    if latest is not None:
        psfs = Instrument.objects.filter(
            clinic__isnull=True, code=PSFS, version=PSFS_VERSIONS[latest.instrument]
        ).first()
        if psfs is not None:
            chosen[PSFS] = psfs
    return sorted(chosen.values(), key=lambda i: i.code)


def last_measured_at(*, patient: Patient) -> dt.datetime | None:
    """When the patient last answered a questionnaire or rated PSFS."""
    times = [
        InstrumentResponse.objects.filter(patient=patient).aggregate(m=Max("taken_at"))["m"],
        FunctionalScore.objects.filter(patient=patient).aggregate(m=Max("recorded_at"))["m"],
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def open_requests(*, patient: Patient) -> set[int]:
    """Instruments with a link the patient can still answer."""
    return set(
        QuestionnaireRequest.objects.filter(
            patient=patient, completed_at__isnull=True, expires_at__gt=timezone.now()
        ).values_list("instrument_id", flat=True)
    )


def patient_responses(*, user: User, patient: Patient) -> QuerySet[InstrumentResponse]:
    return (
        visible(user, InstrumentResponse)
        .filter(patient=patient)
        .select_related("instrument")
        .order_by("-taken_at")
    )


def chart_series(*, patient: Patient) -> list[dict]:
    """One series per instrument version for the chart: its points in time and the band of
    its MCID around the first score (a change inside the band is not clinically important)."""
    series: dict[tuple[str, str], dict] = {}
    for row in instrument_scores(patient_ids=[patient.pk]):
        key = (row.code, row.version)
        if key not in series:
            series[key] = {
                "code": row.code,
                "version": row.version,
                "direction": row.direction,
                "mcid": float(row.mcid),
                "baseline": float(row.score),
                "points": [],
            }
        series[key]["points"].append({"t": row.taken_at.isoformat(), "y": float(row.score)})
    names = {
        (i.code, i.version): (i.name, float(i.range_min), float(i.range_max))
        for i in Instrument.objects.filter(clinic__isnull=True)
        | Instrument.objects.filter(clinic_id=patient.clinic_id)
    }
    for key, entry in series.items():
        name, low, high = names.get(key, (key[0].upper(), 0.0, 0.0))
        entry.update(name=name, min=low, max=high)
    return list(series.values())


def questionnaire_open(*, token: str) -> QuestionnaireRequest:
    """The request behind a patient's link if it can still be answered; DoesNotExist for an
    unknown, used or expired token alike."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise QuestionnaireRequest.DoesNotExist
    return (
        QuestionnaireRequest.objects.select_related("patient__clinic", "instrument")
        .filter(unrestricted(QuestionnaireRequest))
        .get(token_hash=token_hash(token), completed_at__isnull=True, expires_at__gt=timezone.now())
    )
