"""The instruments report against hand computations: change, % change and responders by each
instrument's MCID, its direction read, per version, and by therapist, cohort and region."""

import datetime as dt

import pytest
from django.utils import timezone

from outcomes.models import Instrument, InstrumentResponse
from outcomes.services import response_record
from patients.models import FunctionalScore, PainSource
from tests.api_client import api_as
from tests.factories import PainScoreFactory, PatientFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _taken(therapist, patient, code, answers, days_ago):
    instrument = Instrument.objects.get(clinic=None, code=code)
    response = response_record(
        actor=therapist, patient=patient, instrument=instrument, answers=answers
    )
    InstrumentResponse.objects.filter(pk=response.pk).update(
        taken_at=timezone.now() - days_ago * DAY
    )


def ndi(*values):
    return {str(n): v for n, v in enumerate(values, 1)}


def lefs(threes, twos):
    values = [3] * threes + [2] * twos
    return {str(n): v for n, v in enumerate(values, 1)}


@pytest.fixture
def world(clinic_a, therapist):
    people = [PatientFactory(clinic=clinic_a, activity_profile=p) for p in
              ("athlete", "sedentary", "athlete", "active", "active")]  # fmt: skip
    p1, p2, p3, p4, p5 = people
    for person in (p1, p2, p3):
        TreatmentSessionFactory(
            patient=person, therapist=therapist, started_at=timezone.now() - 10 * DAY
        )
    PainScoreFactory(patient=p1, source="intake", region="neck_back", side="left", score=6)
    PainScoreFactory(patient=p3, source="intake", region="knee", side="right", score=5)
    _taken(therapist, p1, "ndi", ndi(*[3] * 10), 20)  # 30
    _taken(therapist, p1, "ndi", ndi(*[2] * 10), 2)  # 20: improved 10 >= 5, -33.3 %
    _taken(therapist, p2, "ndi", ndi(*[2] * 10), 20)  # 20
    _taken(therapist, p2, "ndi", ndi(*[2] * 8, 1, 1), 2)  # 18: improved 2 < 5, -10 %
    _taken(therapist, p3, "lefs", lefs(0, 20), 20)  # 40
    _taken(therapist, p3, "lefs", lefs(12, 8), 2)  # 52: improved 12 >= 9, +30 %
    _taken(therapist, p4, "lefs", lefs(10, 10), 20)  # 50
    _taken(therapist, p4, "lefs", lefs(5, 15), 2)  # 45: worse by 5, -10 %
    _taken(therapist, p5, "ndi", ndi(*[4] * 10), 5)  # taken once: no change to count
    for days, scores in ((20, (3, 4)), (2, (7, 6))):  # PSFS 3.5 -> 6.5
        FunctionalScore.objects.bulk_create(
            FunctionalScore(patient=p1, recorded_at=timezone.now() - days * DAY,
                            source=PainSource.INTAKE, item=item, activity=f"A{item}", score=score)
            for item, score in enumerate(scores, 1)
        )  # fmt: skip
    return people


def _report(manager, **query):
    answer = api_as(manager).get("/api/v1/reports/instruments/", query)
    assert answer.status_code == 200, answer.content
    return {(row["code"], row["version"]): row for row in answer.json()}


def test_change_and_responders_by_mcid_per_instrument(world, manager):
    report = _report(manager)
    assert report[("ndi", "1991")]["total"] == {
        "patients": 2,
        "mean_baseline": 25.0,  # (30 + 20) / 2
        "mean_latest": 19.0,  # (20 + 18) / 2
        "mean_change": -6.0,
        "mean_percent_change": -21.7,  # (-33.33 - 10) / 2
        "responders": 1,
        "responder_rate": 50.0,
    }
    assert report[("lefs", "1999")]["total"] == {
        "patients": 2,
        "mean_baseline": 45.0,
        "mean_latest": 48.5,
        "mean_change": 3.5,
        "mean_percent_change": 10.0,  # (30 - 10) / 2
        "responders": 1,  # higher is better: +12 >= 9; -5 is no improvement
        "responder_rate": 50.0,
    }
    assert report[("ndi", "1991")]["direction"] == "higher_worse"
    psfs = report[("psfs", "1")]["total"]
    assert (psfs["patients"], psfs["mean_change"], psfs["responders"]) == (1, 3.0, 1)


def test_breakdowns_by_therapist_cohort_and_region(world, manager, therapist):
    report = _report(manager)
    ndi_rows = report[("ndi", "1991")]
    assert [(g["key"], g["patients"]) for g in ndi_rows["therapist"]] == [(str(therapist.pk), 2)]
    assert sorted((g["key"], g["patients"], g["responders"]) for g in ndi_rows["cohort"]) == [
        ("athlete", 1, 1),
        ("sedentary", 1, 0),
    ]
    assert [(g["key"], g["patients"]) for g in ndi_rows["region"]] == [("neck_back", 1)]
    lefs_rows = report[("lefs", "1999")]
    assert [(g["key"], g["patients"]) for g in lefs_rows["therapist"]] == [(str(therapist.pk), 1)]
    assert [(g["key"], g["patients"]) for g in lefs_rows["region"]] == [("knee", 1)]


def test_filters_narrow_the_patients(world, manager, therapist):
    assert _report(manager, cohort="active")[("lefs", "1999")]["total"]["patients"] == 1
    by_therapist = _report(manager, therapist=therapist.pk)
    assert by_therapist[("lefs", "1999")]["total"]["patients"] == 1
    assert set(_report(manager, region="knee")) == {("lefs", "1999")}
    # A baseline before the period: nothing starts in it.
    today = timezone.localdate()
    assert _report(manager, date_from=str(today - 10 * DAY), date_to=str(today)) == {}


def test_versions_are_never_pooled(world, manager, therapist):
    p1 = world[0]
    for days, score in ((20, 8), (2, 3)):  # PSFS 2.0: 8 -> 3 is better by 5
        FunctionalScore.objects.create(
            patient=p1, recorded_at=timezone.now() - days * DAY, source=PainSource.CHECK_IN,
            instrument="psfs2", item=3, activity="A3", score=score,
        )  # fmt: skip
    report = _report(manager)
    assert report[("psfs", "1")]["total"]["mean_change"] == 3.0
    two = report[("psfs", "2.0")]["total"]
    assert (two["mean_change"], two["responders"], two["mean_percent_change"]) == (-5.0, 1, -62.5)


def test_another_clinics_responses_never_count(world, manager, stranger, patient_b):
    _taken(stranger, patient_b, "ndi", ndi(*[5] * 10), 20)
    _taken(stranger, patient_b, "ndi", ndi(*[0] * 10), 2)
    assert _report(manager)[("ndi", "1991")]["total"]["patients"] == 2


def test_the_report_keeps_a_fixed_query_count_as_responses_grow(
    clinic_a, manager, therapist, django_assert_max_num_queries
):
    api = api_as(manager)
    for more in (1, 5):
        for _ in range(more):
            person = PatientFactory(clinic=clinic_a)
            _taken(therapist, person, "ndi", ndi(*[3] * 10), 20)
            _taken(therapist, person, "ndi", ndi(*[1] * 10), 2)
        # token, managed clinics, the clinic, the user's access, the report in its own
        # transaction (a savepoint) that raises work_mem on PostgreSQL
        with django_assert_max_num_queries(8):
            assert api.get("/api/v1/reports/instruments/").status_code == 200


def test_a_patients_instrument_trend_for_clinical_staff_of_their_clinic(
    clinic_a, therapist, front_desk, stranger, patient, django_assert_max_num_queries
):
    _taken(therapist, patient, "ndi", ndi(*[3] * 10), 20)
    _taken(therapist, patient, "ndi", ndi(*[1] * 10), 2)
    url = f"/api/v1/reports/patients/{patient.pk}/instrument-trend/"
    api = api_as(therapist)
    with django_assert_max_num_queries(10):  # as the other trends: 5 of them the audit row
        answer = api.get(url)
    assert [(r["code"], r["score"], r["direction"], r["mcid"]) for r in answer.json()] == [
        ("ndi", "30.00", "higher_worse", "5.00"),
        ("ndi", "10.00", "higher_worse", "5.00"),
    ]
    assert api_as(front_desk).get(url).status_code == 403
    assert api_as(stranger).get(url).status_code == 404
    assert (
        api_as(therapist).get("/api/v1/reports/patients/999999/instrument-trend/").status_code
        == 404
    )
