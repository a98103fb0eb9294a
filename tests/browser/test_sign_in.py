import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 800}]
)
def test_staff_sign_in_lands_on_home_with_their_clinic_and_role(
    page, live_server, therapist, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(page.get_by_text("Harbour Street Clinic — Therapist")).to_be_visible()


def test_a_wrong_password_is_refused_and_the_username_is_kept(page, live_server, therapist):
    sign_in(page, live_server, "alice", password="wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_label("Username")).to_have_value("alice")
    assert page.url.endswith("/accounts/login/")


def test_the_api_docs_render_from_our_own_server_under_the_csp(page, live_server, manager):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("Trigger-point clinic API").first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock").first).to_be_visible()
