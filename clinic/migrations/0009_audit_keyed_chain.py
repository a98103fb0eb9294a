"""The audit trail becomes keyed and lock-free (clinic/audit.py): each row carries an HMAC of its
content under AUDIT_HMAC_KEY instead of an unkeyed hash of its predecessor, and its order lives
in AuditChainLink. Existing rows are keyed and linked in id order, as they were chained."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import migrations, models


def _hmac(message: str) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _payload(event) -> str:
    return "|".join(
        str(value)
        for value in (
            event.at.isoformat(), event.clinic_id, event.actor_id, event.actor_label,
            event.action, event.object_type, event.object_id, event.patient_id, event.ip,
            event.request_id, event.nonce,
        )
    )


def _triggers(schema_editor, state):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE clinic_auditevent {state} TRIGGER clinic_auditevent_append_only",
            params=None,
        )


def key_and_link(apps, schema_editor):
    AuditEvent = apps.get_model("clinic", "AuditEvent")
    AuditChainLink = apps.get_model("clinic", "AuditChainLink")
    db = schema_editor.connection.alias
    _triggers(schema_editor, "DISABLE")
    seq, previous = 0, "0" * 64
    events = AuditEvent.objects.using(db).order_by("id")
    last_id = 0
    while batch := list(events.filter(id__gt=last_id)[:5000]):
        links = []
        for event in batch:
            event.nonce = secrets.token_hex(16)
            event.mac = _hmac(_payload(event))
            seq += 1
            mac = _hmac(f"{seq}|{event.pk}|{event.mac}|{previous}")
            links.append(AuditChainLink(seq=seq, event_id=event.pk, previous=previous, mac=mac))
            previous = mac
        AuditEvent.objects.using(db).bulk_update(batch, ["nonce", "mac"])
        AuditChainLink.objects.using(db).bulk_create(links)
        last_id = batch[-1].pk
    _triggers(schema_editor, "ENABLE")


class Migration(migrations.Migration):
    dependencies = [("clinic", "0008_erase_action")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="nonce",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RemoveField(model_name="auditevent", name="previous_hash"),
        migrations.RenameField(model_name="auditevent", old_name="hash", new_name="mac"),
        migrations.CreateModel(
            name="AuditChainLink",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("previous", models.CharField(max_length=64)),
                ("mac", models.CharField(max_length=64)),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=models.deletion.PROTECT,
                        related_name="chain_link",
                        to="clinic.auditevent",
                    ),
                ),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.RunPython(key_and_link, migrations.RunPython.noop),
    ]
