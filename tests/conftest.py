"""The fixed cast every test can use: two clinics and one person per role.

Clinic A ("harbour") has a therapist, a front-desk clerk and a manager; clinic B ("hillside") has a
stranger (a therapist) who must never see anything of clinic A.
"""

import pytest

from clinic.models import Role
from tests.factories import ClinicFactory, MembershipFactory, PatientFactory, UserFactory


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
def _fresh_cache():
    """Each test starts with an empty cache, so counters such as the link-guess limit do not
    leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
