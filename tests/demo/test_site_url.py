"""`make run PORT=8101`: the links patients get (reminders, check-ins, intake invitations) open
the address the clinic is served at, not SITE_URL's default port."""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from demo.management.commands.runall import child_environment
from scheduling.follow_ups import follow_up_create
from tests.factories import PatientFactory
from tests.integration.conftest import database_url


def test_make_run_gives_its_processes_the_address_it_serves():
    assert child_environment(host="127.0.0.1", port=8101, environ={})["SITE_URL"] == (
        "http://127.0.0.1:8101"
    )
    assert child_environment(host="0.0.0.0", port=8080, environ={})["SITE_URL"] == (  # noqa: S104
        "http://127.0.0.1:8080"
    )
    explicit = {"SITE_URL": "https://clinic.example.com"}
    assert child_environment(host="127.0.0.1", port=8101, environ=explicit) == explicit


@pytest.mark.django_db(transaction=True)
def test_a_reminder_composed_by_a_process_make_run_started_links_to_its_port(clinic_a, front_desk):
    """The worker composes reminders: a process started with `make run`'s environment (here
    PORT=8101) puts that port in the links, read from its own settings."""
    patient = PatientFactory(clinic=clinic_a, email="p@example.com", consents_to_email=True)
    follow_up = follow_up_create(
        patient=patient, created_by=front_desk, due_at=timezone.now() + dt.timedelta(days=7)
    )
    reminder = follow_up.reminders.get(channel="email", kind="before_48h")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "SITE_URL"))}
    environ |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url()}
    env = child_environment(host="127.0.0.1", port=8101, environ=environ)
    script = (
        "import django, json; django.setup()\n"
        "from scheduling.models import Reminder\n"
        "from scheduling.reminders import _compose\n"
        f"print(json.dumps(_compose(Reminder.objects.get(pk={reminder.pk})).body))\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
        check=True,
    )  # fmt: skip
    body = json.loads(done.stdout.strip().splitlines()[-1])
    assert "http://127.0.0.1:8101/follow-ups/reply/" in body


@pytest.mark.django_db
def test_an_intake_link_emailed_from_a_page_on_another_port_uses_that_port(
    client, clinic_a, front_desk, django_capture_on_commit_callbacks
):
    patient = PatientFactory(clinic=clinic_a, email="p@example.com")
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{reverse('intake_invite')}?patient={patient.pk}",
            {"email": "p@example.com", "language": "en"},
            SERVER_PORT="8101",
        )
    assert "http://testserver:8101/intake/" in mail.outbox[0].body
