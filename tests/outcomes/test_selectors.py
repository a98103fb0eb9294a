"""The interface the plan of care reads: instrument_scores and psfs_item_ratings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.models import Instrument
from outcomes.selectors import instrument_scores, intake_instruments, psfs_item_ratings
from outcomes.services import psfs_rerate, response_record
from patients.models import FunctionalScore, PainScore, PainSource

pytestmark = pytest.mark.django_db


def ndi():
    return Instrument.objects.get(clinic=None, code="ndi")


def test_scores_of_indices_and_psfs_come_in_time_order_with_direction_and_mcid(patient, therapist):
    intake = timezone.now() - dt.timedelta(days=30)
    FunctionalScore.objects.bulk_create(
        FunctionalScore(patient=patient, recorded_at=intake, source=PainSource.INTAKE,
                        item=item, activity=activity, score=score)
        for item, activity, score in [(1, "Putting on socks", 3), (2, "Driving", 4)]
    )  # fmt: skip
    response_record(
        actor=therapist,
        patient=patient,
        instrument=ndi(),
        answers={str(n): 2 for n in range(1, 11)},
    )
    psfs_rerate(
        actor=therapist,
        patient=patient,
        ratings=[("putting on socks", 7), ("Driving", 6), ("Running", 2)],
    )

    rows = instrument_scores(patient_ids=[patient.pk])
    assert [(r.code, r.version, r.score, r.direction) for r in rows] == [
        ("psfs", "1", Decimal("3.50"), "higher_better"),  # (3 + 4) / 2
        ("ndi", "1991", Decimal("20.00"), "higher_worse"),
        ("psfs", "1", Decimal("5.00"), "higher_better"),  # (7 + 6 + 2) / 3
    ]
    assert rows[1].mcid == Decimal("5.00")
    assert [r.code for r in instrument_scores(patient_ids=[patient.pk], codes=["ndi"])] == ["ndi"]
    assert instrument_scores(patient_ids=[patient.pk], codes=["lefs"]) == []


def test_a_rerating_keeps_the_intake_activities_items_and_adds_new_ones(patient, therapist):
    FunctionalScore.objects.create(
        patient=patient, recorded_at=timezone.now() - dt.timedelta(days=9),
        source=PainSource.INTAKE, item=1, activity="Putting on socks", score=3,
    )  # fmt: skip
    psfs_rerate(
        actor=therapist, patient=patient, ratings=[("Putting on socks", 8), ("Gardening", 5)]
    )
    latest = FunctionalScore.objects.filter(patient=patient).order_by("-recorded_at", "item")[:2]
    assert [(s.item, s.activity, s.score) for s in latest] == [
        (1, "Putting on socks", 8),
        (2, "Gardening", 5),
    ]
    ratings = psfs_item_ratings(patient_ids=[patient.pk])
    assert [(r.activity, r.score) for r in ratings] == [
        ("Putting on socks", 3),
        ("Putting on socks", 8),
        ("Gardening", 5),
    ]


def test_a_rerating_feeds_the_psfs_report_course(patient, therapist):
    from patients.models import PsfsCourse

    FunctionalScore.objects.create(
        patient=patient, recorded_at=timezone.now() - dt.timedelta(days=9),
        source=PainSource.INTAKE, item=1, activity="Lifting", score=2,
    )  # fmt: skip
    psfs_rerate(actor=therapist, patient=patient, ratings=[("Lifting", 6)])
    course = PsfsCourse.objects.get(patient=patient)
    assert (course.baseline, course.latest) == (Decimal("2"), Decimal("6"))


def test_intake_regions_choose_the_instruments(patient):
    now = timezone.now()
    PainScore.objects.bulk_create(
        PainScore(patient=patient, recorded_at=now, source=PainSource.INTAKE, region=region,
                  side="left", score=5)
        for region in ("neck_back", "knee")
    )  # fmt: skip
    assert [i.code for i in intake_instruments(patient=patient)] == ["lefs", "ndi"]


def test_the_therapist_of_another_clinic_cannot_record_a_response(patient, stranger):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        response_record(actor=stranger, patient=patient, instrument=ndi(), answers={"1": 1})
