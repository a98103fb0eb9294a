"""When the server is too busy to save (a deadlock that outlived its retries: 503 with
Retry-After), the recording page keeps the draft and sends it again by itself."""

import pytest
from playwright.sync_api import expect

from demo.catalogue import DEMO_PASSWORD
from patients.models import PainScore
from tests.deadlocks import Deadlocker

from .conftest import sign_in
from .test_session_recording import _add_pain, _saved, _start_session, demo_patient  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_an_autosave_refused_as_busy_is_kept_and_sent_again_after_retry_after(
    page,
    live_server,
    demo_patient,  # noqa: F811 (the recording tests' fixture)
    settings,
):
    settings.DATABASE_RETRY_BASE_SECONDS = 0.4  # the other connection re-takes its lock first
    sign_in(page, live_server, "therapist", DEMO_PASSWORD)
    session_id = _start_session(page, live_server, demo_patient)
    row = _add_pain(page, "pre_session", "neck_back", 7)
    _saved(page)

    # A new score replaces the draft's pain rows, which needs the patient's row: another
    # connection holds it and waits for the session's, three times over.
    deadlocker = Deadlocker(
        first=("patients_patient", demo_patient.pk),
        second=("treatments_treatmentsession", session_id),
        times=3,
    )
    deadlocker.start()
    row.get_by_label("Pain 0-10").fill("8")

    status = page.locator("#save-status")
    expect(status).to_contain_text("too busy", timeout=30_000)
    expect(status).to_contain_text("kept on this device")
    deadlocker.join(30)
    assert deadlocker.deadlocks_caused == 3
    _saved(page)  # sent again after Retry-After, with nobody in the way
    scores = PainScore.objects.filter(session_id=session_id).values_list("score", flat=True)
    assert list(scores) == [8]
