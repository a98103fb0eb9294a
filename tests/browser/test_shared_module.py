"""The page scripts' shared module (static/js/clinic.js), run in the browser: a read the server
refuses as busy is asked again after Retry-After, and CSV cells are escaped exactly as the
server escapes them."""

import csv
import io
import json
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from clinic.spreadsheet import csv_cell
from tests.clinic.test_csv_cells import HOSTILE
from tests.factories import PainScoreFactory, PatientFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_read_refused_as_busy_is_asked_again_after_retry_after(
    page, live_server, clinic_a, manager
):
    person = PatientFactory(clinic=clinic_a)
    PainScoreFactory(patient=person)
    answers = []

    def busy_once(route):
        if not answers:
            answers.append(503)
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps({"detail": "The server is too busy."}),
            )
            return
        answers.append(200)
        route.continue_()

    page.route("**/pain-trend/", busy_once)
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/patients/{person.pk}/")

    expect(page.locator("#progress")).to_have_attribute("data-state", "ready", timeout=10_000)
    assert answers == [503, 200]
    expect(page.locator("#chart-pain")).to_have_attribute("data-points", "1")


def test_a_read_that_fails_otherwise_is_not_asked_again(page, live_server, clinic_a, manager):
    person = PatientFactory(clinic=clinic_a)
    asked = []

    def broken(route):
        asked.append(route.request.url)
        route.fulfill(status=500, body="")

    page.route("**/pain-trend/", broken)
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/patients/{person.pk}/")

    expect(page.locator("#progress")).to_have_attribute("data-state", "failed")
    assert len(asked) == 1


def test_the_browser_writes_every_csv_cell_as_the_server_does(page, live_server, manager):
    values = [*HOSTILE, "plain", "-2", "+3.5", "-1e5", "'quoted already", "'=x", 'say "hi", ok', ""]
    sign_in(page, live_server, "carol")
    written = page.evaluate("(values) => Clinic.csv.lines([values, [-2, 7.5, null]])", values)
    rows = list(csv.reader(io.StringIO(written, newline="")))
    assert rows[0] == [str(csv_cell(v)) for v in values]
    assert rows[1] == [str(csv_cell(-2)), str(csv_cell(Decimal("7.5"))), ""]
