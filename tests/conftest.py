"""The fixed cast every test can use: two clinics and one person per role.

Clinic A ("harbour") has a therapist, a front-desk clerk and a manager; clinic B ("hillside") has a
stranger (a therapist) who must never see anything of clinic A.
"""

import importlib
import os

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.utils.text import slugify

from clinic.models import Role
from clinic.second_factor import SESSION_KEY as SECOND_FACTOR_KEY
from tests.factories import ClinicFactory, MembershipFactory, PatientFactory, UserFactory


def _on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` prove what only PostgreSQL does (triggers, row locks). On the
    embedded SQLite default they are left out, and the summary says so; in CI they always run,
    so a missing PostgreSQL fails the run instead of passing it quietly."""
    if _on_postgresql() or os.environ.get("CI"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgres")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config._postgres_left_out = len(left_out)


def pytest_terminal_summary(terminalreporter, config):
    if left_out := getattr(config, "_postgres_left_out", 0):
        terminalreporter.write_line(
            f"{left_out} tests need PostgreSQL and were left out: set DATABASE_URL to run them.",
            yellow=True,
        )


def signed_in(client, user):
    """Sign `client` in as `user` with both factors, as a real sign-in would."""
    Client.force_login(client, user)
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    return client


@pytest.fixture
def client(client):
    """pytest-django's client whose `force_login` also completes the second sign-in factor, as
    a real sign-in would; tests of the factor itself sign in with the password instead."""
    client.force_login = lambda user, backend=None: signed_in(client, user)
    return client


@pytest.fixture
def clinic_a(db):
    return ClinicFactory(name="Harbour Street Clinic", slug="harbour")


@pytest.fixture
def clinic_b(db):
    return ClinicFactory(name="Hillside Clinic", slug="hillside")


def _member(clinic, role, username):
    return MembershipFactory(clinic=clinic, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def therapist(clinic_a):
    return _member(clinic_a, Role.THERAPIST, "alice")


@pytest.fixture
def front_desk(clinic_a):
    return _member(clinic_a, Role.FRONT_DESK, "bob")


@pytest.fixture
def manager(clinic_a):
    return _member(clinic_a, Role.MANAGER, "carol")


@pytest.fixture
def stranger(clinic_b):
    return _member(clinic_b, Role.THERAPIST, "mallory")


@pytest.fixture
def patient(clinic_a):
    return PatientFactory(clinic=clinic_a, first_name="Pat", last_name="Example")


@pytest.fixture
def patient_b(clinic_b):
    return PatientFactory(clinic=clinic_b, first_name="Other", last_name="Person")


@pytest.fixture(autouse=True)
def _catalogues_after_flush(request):
    """A transactional test ends by emptying every table, the muscle and movement catalogues
    that a data migration loaded included: load them again for the transactional tests."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    load_catalogues()


def load_catalogues() -> None:
    """The muscle and movement catalogues, unless they are there."""
    Muscle = apps.get_model("treatments", "Muscle")
    Movement = apps.get_model("treatments", "Movement")
    _load_shipped_instruments()
    if Muscle.objects.exists():
        return
    # The catalogues as migrations 0002 and 0012 leave them (0013 adds each movement's maximum,
    # 0017 moves muscles' chart spots onto the anatomical chart).
    catalogues = importlib.import_module("sessions.migrations.0002_muscle_and_movement_catalogues")
    maxima = importlib.import_module("sessions.migrations.0013_recording_as_therapists_expect")
    spots = importlib.import_module("sessions.migrations.0017_muscle_spots_on_the_anatomical_chart")
    Muscle.objects.bulk_create(
        Muscle(name=name, slug=slugify(name), region=region, chart_view=view,
               chart_x=spots.SPOTS.get(name, (0, 0, x, y))[2],
               chart_y=spots.SPOTS.get(name, (0, 0, x, y))[3], snomed_code=snomed)
        for name, region, view, x, y, snomed in catalogues.MUSCLES
    )  # fmt: skip
    Movement.objects.bulk_create(
        Movement(code=code, joint=joint, name=name, normal_degrees=normal, bilateral=bilateral,
                 max_degrees=maxima.MAX_DEGREES[code][1])
        for code, joint, name, normal, bilateral in catalogues.MOVEMENTS
    )  # fmt: skip


def _load_shipped_instruments() -> None:
    """The instruments shipped by outcomes migration 0002, unless they are there."""
    Instrument = apps.get_model("outcomes", "Instrument")
    if not Instrument.objects.filter(clinic__isnull=True).exists():
        importlib.import_module("outcomes.migrations.0002_shipped_instruments").forwards(apps, None)


@pytest.fixture(autouse=True)
def _own_audit_anchor(settings, tmp_path):
    """Each test's audit chain is anchored in a file of its own: a test database starts empty,
    and an anchor that remembers an earlier test's chain would call it truncated."""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchor.log"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, so counters such as the link-guess limit do not
    leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
