"""The referral atlas at work: where a session's patient hurts, and which muscles' trigger points
refer pain there ("check these first").

The pain map before a session is the patient's latest rating of each region and side at or
before its start, from the intake, a pre-session rating or a check-in (a post-session rating
understates the pain while residual soreness fades). The ranking reads the catalogue's zones in
one query and scores the ~50 muscles in Python: small, deterministic, and tested on hand-made
cases (tests/treatments/test_palpation_suggestions.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from patients.body_chart import UNPAIRED
from patients.models import PainScore, PainSource, Side

from .models import (
    SIDE_WORDS,
    Muscle,
    ReferralZone,
    TreatmentSession,
    referral_regions_words,
    zone_covers,
    zone_sides,
)

PAIN_BEFORE_SOURCES = (PainSource.INTAKE, PainSource.PRE_SESSION, PainSource.CHECK_IN)
# A muscle is found on the patient's left or right; a point on both sides is two points.
POINT_SIDES = (Side.LEFT, Side.RIGHT)


@dataclass(frozen=True)
class Painful:
    """One region and side the patient rated, with its latest score."""

    region: str
    side: str
    score: int


@dataclass(frozen=True)
class Zone:
    muscle_id: int
    region: str
    side_relation: str
    essential: bool


@dataclass
class Suggestion:
    muscle_id: int
    side: str
    score: float = 0.0
    # (pain rating, essential?) for each painful region one of its zones covers.
    covers: list[tuple[Painful, bool]] = field(default_factory=list)

    @property
    def essential_count(self) -> int:
        return sum(1 for _pain, essential in self.covers if essential)


def pain_map_before(*, session: TreatmentSession) -> list[Painful]:
    """Where the patient hurt right before `session`: the latest rating (score 1-10) of each
    region and side at or before its start (its own pre-session ratings are recorded at its
    start), one query. A discarded draft's ratings are not the patient's record.
    `sessions.summaries.trigger_point_concordance_refresh` reads the same in SQL."""
    latest = (
        PainScore.objects.filter(
            recorded_at__lte=session.started_at,
            patient_id=session.patient_id,
            source__in=PAIN_BEFORE_SOURCES,
            score__isnull=False,
        )
        .filter(Q(session__isnull=True) | Q(session__discarded_at__isnull=True))
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("region"), F("side")],
                order_by=[F("recorded_at").desc(), F("id").desc()],
            )
        )
        .filter(newest=1)
        .order_by("region", "side")
        .values_list("region", "side", "score")
    )
    return [
        Painful(region, side, score)
        for region, side, score in latest
        if score is not None and score >= 1
    ]


def rank(
    zones: Iterable[Zone],
    pain: list[Painful],
    *,
    spillover_weight: float,
    limit: int,
) -> list[Suggestion]:
    """The muscles whose zones cover the painful regions, best first. A muscle scores, for a
    point on one side, the sum over painful regions of the score times the weight of the best
    zone covering it (1 essential, `spillover_weight` spill-over), each region counted once.
    Each muscle is listed once, on its better side, or on both when the sides score alike.
    Ties go to more essential zones covered, then to the muscle's id (the caller sorts names
    if it wants them alphabetical)."""
    by_muscle: dict[int, list[Zone]] = {}
    for zone in zones:
        by_muscle.setdefault(zone.muscle_id, []).append(zone)
    suggestions = []
    for muscle_id, muscle_zones in by_muscle.items():
        sides = [
            _scored(muscle_id, side, muscle_zones, pain, spillover_weight) for side in POINT_SIDES
        ]
        left, right = sides
        if left.score == 0 and right.score == 0:
            continue
        if left.score == right.score:
            best = Suggestion(muscle_id, Side.BOTH, left.score, _union(left.covers, right.covers))
        else:
            best = max(sides, key=lambda s: s.score)
        suggestions.append(best)
    suggestions.sort(key=lambda s: (-s.score, -s.essential_count, s.muscle_id))
    return suggestions[:limit]


def _scored(
    muscle_id: int, side: str, zones: list[Zone], pain: list[Painful], spillover_weight: float
) -> Suggestion:
    suggestion = Suggestion(muscle_id, side)
    for rating in pain:
        covering = [
            z.essential
            for z in zones
            if z.region == rating.region and zone_covers(z.side_relation, side, rating.side)
        ]
        if not covering:
            continue
        essential = any(covering)
        suggestion.score += rating.score * (1.0 if essential else spillover_weight)
        suggestion.covers.append((rating, essential))
    return suggestion


def _union(a: list, b: list) -> list:
    return a + [item for item in b if item not in a]


# Regions the chart draws once, on the midline: a referral there is recorded on the midline.
MIDLINE_REGIONS = frozenset(str(region) for region in UNPAIRED)


def expected_referral(zones: Iterable[tuple[str, str]], point_side: str) -> list[dict]:
    """The regions a point's essential zones (region, side relation) cover on the chart, as
    `TriggerPoint.referral_regions` records them: what the atlas expects a patient to report
    (the demo records it)."""
    regions: list[dict] = []
    for region, relation in zones:
        sides: list[str] = (
            [Side.MIDLINE.value]
            if region in MIDLINE_REGIONS
            else sorted(str(side) for side in zone_sides(relation, point_side) - {Side.MIDLINE})
        )
        regions += [{"region": region, "side": side} for side in sides]
    return regions


def zones_listed() -> list[Zone]:
    return [
        Zone(*row)
        for row in ReferralZone.objects.values_list(
            "muscle_id", "region", "side_relation", "essential"
        )
    ]


def where_words(region: str, side: str) -> str:
    """ "Head" for a midline region, "Shoulder, right" otherwise."""
    return referral_regions_words([{"region": region, "side": side}])


def palpation_suggestions(*, session: TreatmentSession) -> dict:
    """ "Check these first" for a session: the pain map it starts from and the ranked muscles,
    each with the side to palpate and why, in the active language. Three queries."""
    pain = pain_map_before(session=session)
    ranked = (
        rank(
            zones_listed(),
            pain,
            spillover_weight=settings.PALPATION_SPILLOVER_WEIGHT,
            limit=settings.PALPATION_SUGGESTIONS,
        )
        if pain
        else []
    )
    muscles = Muscle.objects.in_bulk([s.muscle_id for s in ranked])
    return {
        "pain": [
            {
                "region": p.region,
                "side": p.side,
                "score": p.score,
                "label": where_words(p.region, p.side),
            }
            for p in pain
        ],
        "suggestions": [_shown(s, muscles[s.muscle_id]) for s in ranked],
    }


def _shown(suggestion: Suggestion, muscle: Muscle) -> dict:
    covers = sorted(suggestion.covers, key=lambda c: (not c[1], -c[0].score, c[0].region))
    kinds = {True: _("essential"), False: _("spill-over")}
    why = "; ".join(
        f"{where_words(rating.region, rating.side)} ({kinds[essential]}, {rating.score}/10)"
        for rating, essential in covers
    )
    return {
        "muscle": muscle.slug,
        "muscle_name": muscle.name,
        "side": suggestion.side,
        "side_label": str(SIDE_WORDS[suggestion.side]),
        "score": round(suggestion.score, 2),
        "reasons": [
            {
                "region": rating.region,
                "side": rating.side,
                "score": rating.score,
                "essential": essential,
                "label": where_words(rating.region, rating.side),
            }
            for rating, essential in covers
        ],
        "why": _("Refers to: %(zones)s") % {"zones": why},
    }


def atlas_for_page() -> dict[str, list[dict]]:
    """Every muscle's zones by slug, for the recording page's chart (one query)."""
    atlas: dict[str, list[dict]] = {}
    for slug, region, relation, essential in ReferralZone.objects.values_list(
        "muscle__slug", "region", "side_relation", "essential"
    ):
        atlas.setdefault(slug, []).append(
            {"region": region, "side_relation": relation, "essential": essential}
        )
    return atlas


def page_strings() -> dict[str, str]:
    """The recording page script's words about the atlas, in the active language."""
    return {
        "tap": _("Tap the referral on the chart"),
        "done": _("Done tapping the referral"),
        "none": _("None tapped yet."),
        "reported": _("Referral the patient reports"),
        "zonesOf": _("Referral zones of"),
        "mark": _("Mark on the chart"),
        "and": _("and"),
        "left": str(SIDE_WORDS[Side.LEFT]),
        "right": str(SIDE_WORDS[Side.RIGHT]),
    }
