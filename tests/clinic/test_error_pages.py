"""Errors get the clinic's own pages, in the visitor's language, never Django's plain ones."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.urls("tests.clinic.error_urls")
def test_a_server_error_gets_the_clinics_page_without_details():
    browser = Client(raise_request_exception=False)
    answer = browser.get("/broken/")
    page = answer.content.decode()
    assert answer.status_code == 500
    assert "Something went wrong" in page and "css/app.css" in page
    assert "RuntimeError" not in page and "Traceback" not in page


def test_a_form_sent_without_its_csrf_token_says_the_form_expired(therapist):
    browser = Client(enforce_csrf_checks=True)
    answer = browser.post("/accounts/login/", {"username": "alice", "password": "x"})
    assert answer.status_code == 403
    assert "The form has expired" in answer.content.decode()


def test_a_patient_reading_spanish_gets_the_not_found_page_in_spanish():
    answer = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="es")
    assert answer.status_code == 404
    assert "Página no encontrada" in answer.content.decode()
