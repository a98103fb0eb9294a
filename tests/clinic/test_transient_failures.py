"""Deadlocks and serialization failures are retried inside write services; when every attempt
fails the client gets 503 with Retry-After (JSON for the API and page scripts, the page with what
was typed for forms), never a 500 and never a logged traceback.

The deadlocks here are real: a second PostgreSQL connection takes the rows a request needs in
the opposite order, and PostgreSQL's own detector aborts the request's transaction."""

import json
import logging
import re

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse

from clinic.transactions import DatabaseBusy, retrying_atomic, transient_sqlstate
from patients.models import IntakeSubmission, PainScore
from tests.api_client import api_as
from tests.deadlocks import Deadlocker
from tests.factories import PatientFactory, TreatmentSessionFactory

from ..patients.intake_helpers import fill, invite, submit

PAIN = [{"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}]


def _no_traceback_logged(caplog, *secrets: str) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    for secret in secrets:
        assert secret not in caplog.text


@pytest.fixture
def draft(clinic_a, therapist):
    patient = PatientFactory(clinic=clinic_a, first_name="Quentin", last_name="Deadlock")
    return TreatmentSessionFactory(patient=patient, therapist=therapist)


@pytest.fixture
def slow_retries(settings):
    """Retries that pause long enough for the other connection to take its lock again first,
    however loaded the machine (the production pause is shorter)."""
    settings.DATABASE_RETRY_BASE_SECONDS = 0.4


def _save_blocks_behind(draft, times: int) -> Deadlocker:
    """A draft save locks the session row, then needs the patient's (the new pain row's key, the
    patient's derived rows): the other connection takes them the other way round."""
    return Deadlocker(
        first=("patients_patient", draft.patient_id),
        second=("treatments_treatmentsession", draft.pk),
        times=times,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_autosave_caught_in_a_real_deadlock_is_retried_and_saved(
    client, therapist, draft, caplog
):
    assert connection.vendor == "postgresql", "CI runs this on PostgreSQL"
    client.force_login(therapist)
    deadlocker = _save_blocks_behind(draft, times=1)
    deadlocker.start()

    with caplog.at_level(logging.WARNING):
        response = client.post(
            reverse("session_draft", args=[draft.pk]),
            data=json.dumps({"subjective": "Stiff neck", "pain": PAIN}),
            content_type="application/json",
        )
    deadlocker.join(15)

    assert deadlocker.errors == [] and deadlocker.deadlocks_caused == 1
    assert response.status_code == 200, response.content
    assert PainScore.objects.filter(session=draft).count() == 1
    assert "transient database failure 40P01 (attempt 1 of 3)" in caplog.text
    _no_traceback_logged(caplog, "Quentin", "Deadlock", "Stiff neck")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_api_save_that_deadlocks_on_every_attempt_answers_503_with_retry_after(
    therapist, draft, caplog, slow_retries
):
    deadlocker = _save_blocks_behind(draft, times=3)
    deadlocker.start()

    with caplog.at_level(logging.WARNING):
        answer = api_as(therapist).patch(
            f"/api/v1/sessions/{draft.pk}/",
            {"subjective": "Stiff neck", "pain": PAIN},
            format="json",
        )
    deadlocker.join(15)

    assert deadlocker.errors == [] and deadlocker.deadlocks_caused == 3
    assert answer.status_code == 503
    assert answer["Retry-After"] == "2"
    assert "try again" in answer.json()["detail"]
    assert PainScore.objects.filter(session=draft).count() == 0  # nothing half-written
    _no_traceback_logged(caplog, "Quentin", "Stiff neck")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_recording_page_autosave_gets_503_json_it_can_retry_after(
    client, therapist, draft, slow_retries
):
    client.force_login(therapist)
    deadlocker = _save_blocks_behind(draft, times=3)
    deadlocker.start()

    response = client.post(
        reverse("session_draft", args=[draft.pk]),
        data=json.dumps({"subjective": "Stiff neck", "pain": PAIN}),
        content_type="application/json",
    )
    deadlocker.join(15)

    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert "try again" in response.json()["errors"]["__all__"][0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_linking_an_intake_that_deadlocks_on_every_attempt_reshows_the_form_with_503(
    client, front_desk, clinic_a, caplog, slow_retries
):
    existing = PatientFactory(clinic=clinic_a, first_name="Pat", last_name="Example")
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)
    submit(client, token)
    intake = IntakeSubmission.objects.get()
    client.force_login(front_desk)
    # The link locks the intake, then updates the patient: the other connection goes the
    # other way round.
    deadlocker = Deadlocker(
        first=("patients_patient", existing.pk),
        second=("patients_intakesubmission", intake.pk),
        times=3,
    )
    deadlocker.start()

    with caplog.at_level(logging.WARNING):
        response = client.post(f"/intakes/{intake.pk}/", {"patient": str(existing.pk)})
    deadlocker.join(15)

    assert deadlocker.deadlocks_caused == 3
    assert response.status_code == 503 and response["Retry-After"] == "2"
    page = response.content.decode()
    assert "too busy to save this just now" in page
    assert re.search(rf'value="{existing.pk}"[^>]*checked', page), "the choice is kept"
    intake.refresh_from_db()
    assert intake.status == IntakeSubmission.Status.SUBMITTED  # nothing was linked
    _no_traceback_logged(caplog, "Apixaban")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_service_inside_another_transaction_leaves_the_retry_to_the_outermost(clinic_a):
    """Only the outermost block can run the work again: an inner one has no clean state."""
    patient = PatientFactory(clinic=clinic_a)
    calls = []

    @retrying_atomic
    def inner():
        calls.append("inner")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM patients_patient WHERE id = %s FOR UPDATE", [patient.pk])
        if len(calls) < 3:
            raise_serialization_failure()

    @retrying_atomic
    def outer():
        calls.append("outer")
        inner()

    outer()
    assert calls == ["outer", "inner", "outer", "inner"]


def raise_serialization_failure():
    """A real 40001 from PostgreSQL: two REPEATABLE READ snapshots updating one row is the
    textbook case; raising it with its SQLSTATE from PL/pgSQL is the same error to the client."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' "
            "USING ERRCODE = 'serialization_failure'; END $$"
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_serialization_failure_outliving_its_retries_is_database_busy(settings):
    settings.DATABASE_RETRY_ATTEMPTS = 2
    attempts = []

    @retrying_atomic
    def always_fails():
        attempts.append(1)
        raise_serialization_failure()

    with pytest.raises(DatabaseBusy) as raised:
        always_fails()
    assert len(attempts) == 2
    assert "try again" in raised.value.messages[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_retried():
    attempts = []

    @retrying_atomic
    def broken():
        attempts.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(DatabaseError, match="no_such_table") as raised:
        broken()
    assert len(attempts) == 1 and transient_sqlstate(raised.value) is None


@pytest.mark.postgres
@pytest.mark.urls("tests.clinic.transient_urls")
@pytest.mark.django_db(transaction=True)
def test_a_read_that_failed_transiently_outside_a_service_is_run_again(client):
    from . import transient_urls

    transient_urls.calls.clear()
    response = client.get("/flaky-read/")
    assert response.status_code == 200 and transient_urls.calls == ["GET", "GET"]


@pytest.mark.postgres
@pytest.mark.urls("tests.clinic.transient_urls")
@pytest.mark.django_db(transaction=True)
def test_a_write_that_failed_transiently_outside_a_service_answers_a_busy_page_not_500(
    client, therapist, caplog
):
    from . import transient_urls

    transient_urls.calls.clear()
    client.force_login(therapist)
    with caplog.at_level(logging.WARNING):
        page = client.post("/failing-write/", {"note": "typed"})
        api_style = client.post("/failing-write/", "{}", content_type="application/json")
    assert transient_urls.calls == ["POST", "POST"]  # a write is never run again blindly
    assert page.status_code == 503 and page["Retry-After"] == "2"
    assert "Please try again" in page.content.decode() and page["Content-Type"].startswith(
        "text/html"
    )
    assert api_style.status_code == 503 and "try again" in api_style.json()["detail"]
    _no_traceback_logged(caplog)
