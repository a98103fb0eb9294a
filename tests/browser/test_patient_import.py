import pytest
from playwright.sync_api import expect

from patients.models import Patient

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD = b"first_name,last_name,date_of_birth\n,Silva,1975-03-02\nBen,Okafor,1990-02-30\n"
CLEAN = b"first_name,last_name,date_of_birth\nAna,Silva,1975-03-02\nBen,Okafor,1990-11-23\n"


def choose(page, content: bytes):
    page.get_by_label("CSV file").set_input_files(
        {"name": "patients.csv", "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Check the file").click()


def test_front_desk_fixes_a_file_then_imports_it_from_a_phone(page, live_server, front_desk):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/patients/")
    page.get_by_role("link", name="Import patients from a CSV file").click()

    choose(page, BAD)
    problems = page.locator("#problems")
    expect(problems).to_contain_text("first_name: This field is required.")
    expect(problems).to_contain_text("but it is an invalid date")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    page.screenshot(path="test-results/patient-import-problems.png", full_page=True)
    assert not Patient.objects.exists()

    choose(page, CLEAN)
    expect(page.get_by_role("status")).to_contain_text("2 new")
    page.get_by_role("button", name="Import 2 new patients").click()
    expect(page.get_by_text("Imported 2 patients; 0 were already registered.")).to_be_visible()
    expect(page.get_by_role("link", name="Silva, Ana")).to_be_visible()
    page.screenshot(path="test-results/patient-import.png", full_page=True)
    assert Patient.objects.count() == 2
