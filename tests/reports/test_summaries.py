"""The derived rows the reports read stay in step with the records, through every service that
writes scores, points or a session's time, and a per-patient rebuild agrees with a full one."""

import datetime as dt
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from patients.models import PainCourse
from scheduling.erasure import _erase
from sessions.check_ins import check_in_complete, check_in_issue
from sessions.models import Muscle, SessionPain, TriggerPointVisit
from sessions.services import session_start, session_update
from sessions.summaries import summaries_refresh
from tests.factories import PainScoreFactory, PatientFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _pain(source, score, region="neck_back"):
    return {"source": source, "region": region, "side": "right", "score": score}


def _point(released=False):
    return {
        "muscle": Muscle.objects.get(slug="upper-trapezius"),
        "side": "right",
        "chart_view": "back",
        "x": 0.4,
        "y": 0.16,
        "tenderness": 6,
        "released": released,
    }


def _session(patient, therapist, started_at, *, pain, points=()):
    # Each a session of its own, though the one before is still a draft.
    session = session_start(
        patient=patient, therapist=therapist, started_at=started_at, another=True
    )
    session_update(session=session, user=therapist, pain=pain, trigger_points=list(points))
    return session


def _pain_rows(patient):
    return sorted(
        SessionPain.objects.filter(patient=patient).values_list(
            "session_id", "region", "before", "after", "check_in"
        )
    )


def test_sessions_and_a_check_in_keep_courses_session_pain_and_visits_in_step(patient, therapist):
    now = timezone.now()
    first = _session(
        patient,
        therapist,
        now - 10 * DAY,
        pain=[_pain("pre_session", 7), _pain("post_session", 4)],
        points=[_point()],
    )
    second = _session(
        patient,
        therapist,
        now - 3 * DAY,
        pain=[_pain("pre_session", 5)],
        points=[_point(released=True)],
    )

    course = PainCourse.objects.filter(patient=patient).values_list("baseline", "latest")
    assert list(course.all()) == [(7, 5)]
    assert _pain_rows(patient) == [
        (first.pk, "neck_back", 7, 4, None),
        (second.pk, "neck_back", 5, None, None),
    ]
    assert sorted(
        TriggerPointVisit.objects.filter(patient=patient).values_list("session_id", "visit")
    ) == [(first.pk, 1), (second.pk, 2)]

    check_in, _ = check_in_issue(session=second, actor_label="system")
    check_in_complete(check_in=check_in, pain=[("neck_back", "right", 2)], soreness=1)

    assert list(course.all()) == [(7, 2)]
    assert _pain_rows(patient)[1] == (second.pk, "neck_back", 5, None, 2)


def test_moving_a_draft_or_replacing_its_ratings_rebuilds_its_rows(patient, therapist):
    now = timezone.now()
    early = _session(
        patient, therapist, now - 10 * DAY, pain=[_pain("pre_session", 7)], points=[_point()]
    )
    late = _session(
        patient, therapist, now - 3 * DAY, pain=[_pain("pre_session", 5)], points=[_point()]
    )

    # The early draft was really the later visit; its neck is now rated as the shoulder.
    session_update(
        session=early,
        user=therapist,
        fields={"started_at": now - DAY},
        pain=[_pain("pre_session", 3, region="shoulder")],
    )

    assert dict(
        TriggerPointVisit.objects.filter(patient=patient).values_list("session_id", "visit")
    ) == {late.pk: 1, early.pk: 2}
    assert _pain_rows(patient) == [
        (early.pk, "shoulder", 3, None, None),
        (late.pk, "neck_back", 5, None, None),
    ]
    assert SessionPain.objects.get(session=early).started_at == now - DAY
    courses = PainCourse.objects.filter(patient=patient)
    assert sorted(courses.values_list("region", "baseline", "latest")) == [
        ("neck_back", 5, None),
        ("shoulder", 3, None),
    ]


def test_a_rebuild_of_one_patient_agrees_with_a_rebuild_of_everyone(clinic_a, therapist):
    now = timezone.now()
    for n in range(3):
        person = PatientFactory(clinic=clinic_a)
        ratings = (
            (30, "intake", 8),
            (20, "pre_session", 6 - n),
            (19, "check_in", 5 - n),
            (10, "pre_session", 3 + n),
        )
        for days, source, score in ratings:
            PainScoreFactory(
                patient=person,
                recorded_at=now - days * DAY,
                source=source,
                score=score,
                region="hip",
            )
        TriggerPointFactory(session__patient=person, session__therapist=therapist)

    def snapshot():
        return (
            sorted(PainCourse.objects.values_list("patient_id", "baseline", "latest")),
            _all(SessionPain, "session_id", "region", "before", "after", "check_in"),
            _all(TriggerPointVisit, "trigger_point_id", "visit", "started_at"),
        )

    per_patient = snapshot()
    summaries_refresh(patient_ids=None)

    assert snapshot() == per_patient
    assert len(per_patient[0]) == 3


def _all(model, *columns):
    return sorted(model.objects.values_list(*columns))


def test_erasing_a_patient_removes_their_derived_rows(patient, therapist):
    _session(
        patient, therapist, timezone.now() - DAY, pain=[_pain("pre_session", 6)], points=[_point()]
    )
    patient.erasure_requested_at = timezone.now()
    patient.erase_after = timezone.now().date()  # the retention period is over
    patient.save()

    _erase(patient.pk)

    for model in (PainCourse, SessionPain, TriggerPointVisit):
        assert not model.objects.filter(patient_id=patient.pk).exists()


def test_the_rebuild_command_restores_rows_lost_outside_the_services(patient, therapist):
    _session(
        patient, therapist, timezone.now() - DAY, pain=[_pain("pre_session", 6)], points=[_point()]
    )
    SessionPain.objects.all().delete()
    out = io.StringIO()

    call_command("summaries_rebuild", stdout=out)

    assert SessionPain.objects.filter(patient=patient, before=6).count() == 1
    assert "PainCourse 1, SessionPain 1, TriggerPointVisit 1." in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rebuilds_of_one_patient_at_once_wait_for_each_other(clinic_a):
    """A check-in and a draft save of the same patient at the same moment: without the lock the
    second DELETE misses the first one's new rows and its INSERT breaks a unique constraint."""
    assert connection.vendor == "postgresql", "CI runs this on PostgreSQL"
    person = PatientFactory(clinic=clinic_a)
    PainScoreFactory(patient=person, source="intake", score=7, recorded_at=timezone.now() - DAY)
    first_holds_its_lock = threading.Event()
    errors = []

    def first():
        try:
            with transaction.atomic():
                summaries_refresh(patient_ids=[person.pk])
                first_holds_its_lock.set()
                time.sleep(0.5)  # the second rebuild starts meanwhile
        finally:
            connection.close()

    def second():
        first_holds_its_lock.wait(10)
        try:
            with transaction.atomic():
                summaries_refresh(patient_ids=[person.pk])
        except Exception as error:  # noqa: BLE001 (the assertion below names it)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert list(PainCourse.objects.filter(patient=person).values_list("baseline")) == [(7,)]
