"""The waitlist: patients asking for an earlier slot, and the offers of freed time.

A cancellation of a future appointment (by the clinic, or by the patient from a reminder's link)
frees its time as a FreedSlot, in the cancellation's transaction, and offers it to the first
WAITLIST_OFFER_COUNT matching entries by request time: the therapist (or any), the weekday and
part of the day in the clinic's zone, the date limit, a duration that fits, and (for a patient
who has a later appointment) an earlier time. Each offer is announced by Reminder rows of kind
slot_offer, sent by the reminder machinery (exactly once, quiet hours, a one-time link stored
hashed). The first to accept gets the slot (scheduling/offers.py); an offer nobody answered
expires, and the slot goes to the next in line."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import access_for, unrestricted
from clinic.transactions import retrying_atomic
from patients.models import Patient

from .follow_ups import require_treating
from .models import Appointment, FreedSlot, Reminder, WaitlistEntry, WaitlistOffer
from .reminders import in_quiet_hours, policy_for, quiet_hours_end_after, reachable_channels

SYSTEM = "waitlist"
# An offer shorter than this is not worth a message: the slot lapses instead.
MIN_OFFER = dt.timedelta(minutes=10)
AFTERNOON, EVENING = dt.time(12, 0), dt.time(17, 0)
Part = WaitlistEntry.PartOfDay


def part_of_day(moment: dt.datetime, zone) -> Part:
    """Morning before 12:00, afternoon to 17:00, evening after, on the clinic's clock."""
    local = moment.astimezone(zone).time()
    if local < AFTERNOON:
        return Part.MORNING
    return Part.AFTERNOON if local < EVENING else Part.EVENING


def _bits(values: Iterable[int]) -> int:
    bits = 0
    for value in values:
        bits |= int(value)
    return bits


def _audit(obj, action: str, *, patient_id: int, clinic_id: int, actor=None, actor_label=""):
    audit_record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        obj=obj,
        patient_id=patient_id,
        clinic_id=clinic_id,
    )


# --- entries ------------------------------------------------------------------------------------


def _check_entry(
    *,
    patient: Patient,
    days: set[int],
    parts: set[int],
    until: dt.date,
    duration_minutes: int,
    appointment: Appointment | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if not days or not days <= set(range(7)):
        errors["weekdays"] = [_("Choose at least one weekday.")]
    if not parts or not parts <= set(Part.values):
        errors["parts_of_day"] = [_("Choose at least one part of the day.")]
    if until < timezone.localdate(timezone=patient.clinic.zone):
        errors["until"] = [_("Choose a date from today on.")]
    if not 5 <= duration_minutes <= 480:
        errors["duration_minutes"] = [_("A duration is between 5 minutes and 8 hours.")]
    if appointment is not None and (
        appointment.patient_id != patient.pk or not appointment.is_open
    ):
        errors["appointment"] = [_("Choose a booked appointment of this patient.")]
    if patient.is_restricted:
        errors["patient"] = [_("This record is restricted by an erasure request.")]
    elif patient.waitlist.filter(status=WaitlistEntry.Status.WAITING).exists():
        errors["patient"] = [_("This patient is on the waitlist already.")]
    if errors:
        raise ValidationError(errors)


@retrying_atomic
def waitlist_entry_create(
    *,
    patient: Patient,
    until: dt.date,
    weekdays: Iterable[int],
    parts_of_day: Iterable[int],
    actor=None,
    actor_label: str = "",
    therapist=None,
    duration_minutes: int = 45,
    kind: str = Appointment.Kind.TREATMENT,
    appointment: Appointment | None = None,
    note: str = "",
) -> WaitlistEntry:
    """Put a patient on the waitlist (front desk, or the patient from a link: `actor_label`).
    `weekdays` are 0 (Monday) to 6; `parts_of_day` are WaitlistEntry.PartOfDay values."""
    if actor is None and not actor_label:
        raise ValueError("A waitlist entry names who made it: actor or actor_label.")
    if actor is not None and patient.clinic_id not in access_for(actor).clinic_ids:
        raise PermissionDenied("Only the clinic's staff keep its waitlist.")
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    days = {int(day) for day in weekdays}
    parts = {int(part) for part in parts_of_day}
    _check_entry(
        patient=patient,
        days=days,
        parts=parts,
        until=until,
        duration_minutes=duration_minutes,
        appointment=appointment,
    )
    require_treating(therapist, patient)
    entry = WaitlistEntry.objects.create(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        weekdays=sum(1 << day for day in days),
        parts_of_day=_bits(parts),
        until=until,
        duration_minutes=duration_minutes,
        kind=kind,
        appointment=appointment,
        note=note,
        created_by=actor,
    )
    _audit(
        entry,
        AuditEvent.Action.CREATE,
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        actor=actor,
        actor_label=actor_label,
    )
    return entry


@retrying_atomic
def waitlist_entry_withdraw(*, entry: WaitlistEntry, actor) -> WaitlistEntry:
    """Take a patient off the waitlist: an offer they still hold goes to the next in line."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.clinic_id not in access_for(actor).clinic_ids:
        raise PermissionDenied("Only the clinic's staff keep its waitlist.")
    if entry.status != WaitlistEntry.Status.WAITING:
        raise ValidationError({"status": [_("Only a waiting entry can be withdrawn.")]})
    _withdraw(entry)
    _audit(
        entry,
        AuditEvent.Action.UPDATE,
        patient_id=entry.patient_id,
        clinic_id=entry.clinic_id,
        actor=actor,
    )
    return entry


def waitlist_patient_restricted(*, patient: Patient) -> None:
    """An erasure request takes the patient off the waitlist, inside its transaction: nothing
    more is offered or sent to them, and an offer they hold goes to the next in line."""
    WaitlistEntry.objects.filter(patient=patient, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.WITHDRAWN
    )
    held = list(
        WaitlistOffer.objects.select_for_update().filter(
            entry__patient=patient, status=WaitlistOffer.Status.OFFERED
        )
    )
    WaitlistOffer.objects.filter(pk__in=[offer.pk for offer in held]).update(
        status=WaitlistOffer.Status.DECLINED, answered_at=timezone.now()
    )
    Reminder.objects.filter(offer__entry__patient=patient, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, lease=None, last_error="Erasure requested."
    )
    for offer in held:
        slot_offer_again(slot_id=offer.slot_id)


def waitlist_after_merge(*, survivor: Patient) -> None:
    """A merge of duplicate records moved the duplicate's entries onto the survivor: the first
    request keeps its place, a later one is withdrawn and any offer it holds passed on. (Not a
    unique constraint: the merge moves rows before it can tell the waitlist.)"""
    waiting = list(
        WaitlistEntry.objects.select_for_update()
        .filter(patient=survivor, status=WaitlistEntry.Status.WAITING)
        .order_by("created_at", "id")
    )
    for entry in waiting[1:]:
        _withdraw(entry)


def _withdraw(entry: WaitlistEntry) -> None:
    entry.status = WaitlistEntry.Status.WITHDRAWN
    entry.save(update_fields=["status", "updated_at"])
    held = list(entry.offers.filter(status=WaitlistOffer.Status.OFFERED))
    entry.offers.filter(pk__in=[o.pk for o in held]).update(
        status=WaitlistOffer.Status.DECLINED, answered_at=timezone.now()
    )
    for offer in held:
        slot_offer_again(slot_id=offer.slot_id)


# --- offers -------------------------------------------------------------------------------------


def waitlist_matching(*, slot: FreedSlot) -> QuerySet:
    """The waiting entries a freed slot suits, first requested first; an entry holding an open
    offer (of any slot) waits for its answer, and an entry is never offered one slot twice."""
    zone = slot.clinic.zone
    local = slot.starts_at.astimezone(zone)
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    holding = WaitlistOffer.objects.filter(
        entry=OuterRef("pk"), status=WaitlistOffer.Status.OFFERED
    )
    return (
        WaitlistEntry.objects.filter(
            unrestricted(WaitlistEntry),
            clinic_id=slot.clinic_id,
            status=WaitlistEntry.Status.WAITING,
            until__gte=local.date(),
            duration_minutes__lte=minutes,
        )
        .filter(Q(therapist__isnull=True) | Q(therapist_id=slot.therapist_id))
        .filter(Q(appointment__isnull=True) | Q(appointment__starts_at__gt=slot.starts_at))
        .annotate(
            on_the_day=F("weekdays").bitand(1 << local.weekday()),
            in_the_part=F("parts_of_day").bitand(int(part_of_day(slot.starts_at, zone))),
        )
        .filter(on_the_day__gt=0, in_the_part__gt=0)
        .exclude(Exists(holding))
        .exclude(Exists(WaitlistOffer.objects.filter(entry=OuterRef("pk"), slot=slot)))
        .select_related("patient")
        .order_by("created_at", "id")
    )


def _offer_window(slot: FreedSlot, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When the offer's messages go (after quiet hours) and when it expires (never after the
    slot starts)."""
    policy = policy_for(slot.clinic)
    zone = slot.clinic.zone
    send_at = now
    if in_quiet_hours(now, policy=policy, zone=zone):
        send_at = quiet_hours_end_after(now, policy=policy, zone=zone)
    lasts = dt.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
    return send_at, min(send_at + lasts, slot.starts_at)


def slot_offer_next(*, slot: FreedSlot, now: dt.datetime | None = None) -> list[WaitlistOffer]:
    """Offer a locked open slot to the next matching entries, up to WAITLIST_OFFER_COUNT open
    offers; a slot nobody is left to take lapses. Inside the caller's transaction."""
    now = now or timezone.now()
    open_offers = slot.offers.filter(status=WaitlistOffer.Status.OFFERED).count()
    wanted = settings.WAITLIST_OFFER_COUNT - open_offers
    send_at, expires_at = _offer_window(slot, now)
    offers: list[WaitlistOffer] = []
    if wanted > 0 and expires_at - send_at >= MIN_OFFER:
        policy = policy_for(slot.clinic)
        # Patients without a reachable channel are passed over: a few more rows than needed.
        for entry in waitlist_matching(slot=slot)[: wanted * 4]:
            channels = reachable_channels(patient=entry.patient, policy=policy)
            if not channels:
                continue
            offer = WaitlistOffer.objects.create(slot=slot, entry=entry, expires_at=expires_at)
            Reminder.objects.bulk_create(
                Reminder(
                    patient=entry.patient,
                    offer=offer,
                    channel=channel,
                    kind=Reminder.Kind.SLOT_OFFER,
                    send_at=send_at,
                )
                for channel in channels
            )
            _audit(
                offer,
                AuditEvent.Action.CREATE,
                patient_id=entry.patient_id,
                clinic_id=slot.clinic_id,
                actor_label=SYSTEM,
            )
            offers.append(offer)
            if len(offers) == wanted:
                break
    if not offers and not open_offers:
        slot.status = FreedSlot.Status.LAPSED
        slot.save(update_fields=["status", "updated_at"])
    return offers


def waitlist_offer_freed_slot(
    *, appointment: Appointment, now: dt.datetime, kept: Appointment | None = None
) -> list[FreedSlot]:
    """The time an appointment gave up, if still to come, offered to the waitlist: all of it
    when it was cancelled, or, when it moved (`kept` is the moved appointment), the part its
    new time no longer covers on the same therapist's book. Called in the cancellation's or
    the move's transaction, so the offers commit (and are sent) only with it."""
    pieces = [(appointment.starts_at, appointment.ends_at)]
    if kept is not None and kept.therapist_id == appointment.therapist_id:
        start, end = appointment.starts_at, appointment.ends_at
        pieces = [(start, min(end, kept.starts_at)), (max(start, kept.ends_at), end)]
    slots = []
    for starts_at, ends_at in pieces:
        if ends_at <= starts_at or starts_at - now < MIN_OFFER:
            continue
        slot = FreedSlot.objects.create(
            clinic_id=appointment.clinic_id,
            therapist_id=appointment.therapist_id,
            room_id=appointment.room_id,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        slot_offer_next(slot=slot, now=now)
        slots.append(slot)
    return slots


def slot_offer_again(*, slot_id: int, now: dt.datetime | None = None) -> None:
    """An offer of the slot closed unanswered (expired, declined, withdrawn): the next in line
    gets it, if the slot is still open."""
    slot = FreedSlot.objects.select_for_update().select_related("clinic").get(pk=slot_id)
    if slot.status == FreedSlot.Status.OPEN:
        slot_offer_next(slot=slot, now=now)


def waitlist_offers_expire(*, now: dt.datetime | None = None) -> int:
    """What beat runs: offers past their time expire and their slots go to the next in line.
    Offers an acceptance holds locked are skipped (the acceptance decides them). Returns how
    many expired."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            WaitlistOffer.objects.select_for_update(skip_locked=True)
            .filter(status=WaitlistOffer.Status.OFFERED, expires_at__lte=now)
            .values_list("id", "slot_id")
        )
        WaitlistOffer.objects.filter(id__in=[offer for offer, _slot in expired]).update(
            status=WaitlistOffer.Status.EXPIRED
        )
    for slot_id in sorted({slot for _offer, slot in expired}):
        retrying_atomic(slot_offer_again)(slot_id=slot_id, now=now)
    return len(expired)
