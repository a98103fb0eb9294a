"""The reports pages as they look: the dashboard's figure tiles styled on desktop and tablet
(app.css once left a phone-only block open around them), and the progress report printed
without the navigation and the buttons."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PainScoreFactory, PatientFactory

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _style(locator, *properties):
    return locator.evaluate(
        "(el, names) => Object.fromEntries(names.map((n) => [n, getComputedStyle(el)[n]]))",
        list(properties),
    )


@pytest.mark.parametrize("width", [1366, 800])
def test_the_dashboards_figure_tiles_are_styled_on_desktop_and_tablet(
    page, live_server, clinic_a, manager, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")

    tiles = page.get_by_role("region", name="Key figures")
    assert _style(tiles, "display")["display"] == "grid"
    tile = page.locator(".tile").first
    style = _style(
        tile,
        "borderTopStyle",
        "borderTopWidth",
        "borderTopLeftRadius",
        "backgroundColor",
        "display",
        "flexDirection",
    )
    assert style == {
        "borderTopStyle": "solid",
        "borderTopWidth": "1px",
        "borderTopLeftRadius": "8px",
        "backgroundColor": "rgb(255, 255, 255)",
        "display": "flex",
        "flexDirection": "column",
    }
    # All the key figures side by side on a desktop, several a row on a tablet (unstyled: one a
    # row).
    key_figures = tiles.locator(".tile")
    tops = [box["y"] for box in (t.bounding_box() for t in key_figures.all())]
    first_row = tops.count(tops[0])
    assert first_row == (key_figures.count() if width == 1366 else 4), tops
    assert _style(page.locator(".charts"), "display")["display"] == "grid"
    assert _style(page.locator("#filters"), "display")["display"] == "grid"


def test_printing_the_progress_report_hides_the_navigation_and_the_buttons(
    page, live_server, clinic_a, manager
):
    person = PatientFactory(clinic=clinic_a)
    PainScoreFactory(
        patient=person, source="intake", recorded_at=timezone.now() - dt.timedelta(days=9)
    )
    PainScoreFactory(patient=person, source="check_in", score=3)
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/dashboard/patients/{person.pk}/")
    expect(page.locator("#progress")).to_have_attribute("data-state", "ready")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()

    page.emulate_media(media="print")

    expect(navigation).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    assert page.locator("button").count() >= 3  # print, sign out, stay signed in
    for button in page.locator("button").all():
        expect(button).to_be_hidden()
    expect(page.locator("#chart-pain")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(person.full_name)
    body = _style(page.locator("body"), "backgroundColor")
    assert body == {"backgroundColor": "rgb(255, 255, 255)"}
    card = _style(page.locator(".progress-report .card").first, "borderTopStyle", "paddingTop")
    assert card == {"borderTopStyle": "none", "paddingTop": "0px"}
