"""A database whose audit trail was written before the keyed chain (clinic migration 0009)
keeps every event, now keyed and linked in the order it was chained, and verifies."""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from clinic.audit import audit_verify
from clinic.models import AuditChainLink, AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("clinic", "0008_erase_action")]


def test_events_written_before_the_keyed_chain_are_keyed_linked_and_verify():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    OldEvent = executor.loader.project_state(BEFORE).apps.get_model("clinic", "AuditEvent")
    previous, written = "0" * 64, []
    for action in ("login", "read", "update"):
        event = OldEvent(
            at=timezone.now(), action=action, actor_label="alice", previous_hash=previous
        )
        event.hash = previous = hashlib.sha256(f"{action}|{previous}".encode()).hexdigest()
        event.save()
        written.append(event.pk)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert list(AuditEvent.objects.order_by("id").values_list("pk", "action")) == list(
        zip(written, ["login", "read", "update"], strict=True)
    )
    links = AuditChainLink.objects.order_by("seq")
    assert [(link.seq, link.event_id) for link in links] == [
        (1, written[0]),
        (2, written[1]),
        (3, written[2]),
    ]
    assert audit_verify() == []
