import pytest

from clinic.tokens import token_hash
from sessions.check_ins import check_in_issue
from sessions.models import CheckIn
from tests.factories import TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def test_a_check_in_stores_only_the_hash_of_its_link_token(patient):
    check_in, raw = check_in_issue(
        session=TreatmentSessionFactory(patient=patient), actor_label="system"
    )

    stored = CheckIn.objects.get(pk=check_in.pk)
    assert stored.token_hash == token_hash(raw) != raw
    assert len(raw) >= 40 and stored.expires_at > stored.created_at
