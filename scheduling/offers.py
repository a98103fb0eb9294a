"""The patient's answer to a waitlist offer, from the link in its message: the first to accept
gets the slot. Acceptances queue on the freed slot's row lock; the winner is booked through the
appointment book's service (so its checks and the exclusion constraint hold), the slot is taken,
and every other patient it was offered to is told so (a slot_taken message)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.permissions import unrestricted
from clinic.tokens import token_hash
from clinic.transactions import retrying_atomic
from patients.selectors import MAX_TOKEN_LENGTH

from .appointments import appointment_book, appointment_set_status
from .models import Appointment, FreedSlot, Reminder, WaitlistEntry, WaitlistOffer
from .replies import PATIENT_LINK
from .waitlist import SYSTEM, slot_offer_again

Offer = WaitlistOffer.Status


def offer_for_link(*, token: str) -> WaitlistOffer:
    """The offer a patient's link came in; WaitlistOffer.DoesNotExist for an unknown link, or
    once the slot's time has come (the caller counts it as a guess, clinic.links). An offer that
    is expired, taken or answered is found: its page says so."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise WaitlistOffer.DoesNotExist
    reminder = (
        Reminder.objects.select_related(
            "patient__clinic", "offer__slot__therapist", "offer__entry__patient"
        )
        .filter(
            unrestricted(Reminder),
            answer_token_hash=token_hash(token),
            kind=Reminder.Kind.SLOT_OFFER,
        )
        .first()
    )
    offer = reminder.offer if reminder is not None else None
    if offer is None or offer.slot.starts_at <= timezone.now():
        raise WaitlistOffer.DoesNotExist
    return offer


def _locked(offer: WaitlistOffer) -> tuple[FreedSlot, WaitlistOffer]:
    # The slot first, always: every acceptance and expiry of its offers queues behind it.
    slot = FreedSlot.objects.select_for_update().select_related("clinic").get(pk=offer.slot_id)
    offer = (
        WaitlistOffer.objects.select_for_update(of=("self",))
        .select_related("entry__patient__clinic", "entry__appointment")
        .get(pk=offer.pk)
    )
    return slot, offer


def _close(offer: WaitlistOffer, status: str, **more) -> WaitlistOffer:
    offer.status = status
    for name, value in more.items():
        setattr(offer, name, value)
    offer.save(update_fields=["status", *more, "updated_at"])
    return offer


def _tell_the_others(slot: FreedSlot, *, winner: WaitlistOffer) -> None:
    """The slot's other open offers are closed as taken: a message not sent yet is cancelled,
    and a patient whose message went out (or may have) hears that the slot is gone."""
    others = list(slot.offers.filter(status=Offer.OFFERED).exclude(pk=winner.pk))
    for other in others:
        _close(other, Offer.TAKEN)
        rows = other.reminders.select_for_update().filter(kind=Reminder.Kind.SLOT_OFFER)
        rows.filter(status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED, last_error="The slot was taken by another patient."
        )
        Reminder.objects.bulk_create(
            Reminder(
                patient_id=row.patient_id,
                offer=other,
                channel=row.channel,
                kind=Reminder.Kind.SLOT_TAKEN,
                send_at=timezone.now(),
            )
            for row in rows.filter(status__in=(Reminder.Status.SENT, Reminder.Status.SENDING))
        )


@retrying_atomic
def waitlist_offer_accept(*, offer: WaitlistOffer) -> WaitlistOffer:
    """The patient takes the slot. Returns the offer as it now stands: accepted (with its
    appointment), or taken, expired or declined when it came too late; the page says which."""
    slot, offer = _locked(offer)
    if offer.status != Offer.OFFERED:
        return offer
    now = timezone.now()
    if offer.expires_at <= now:
        _close(offer, Offer.EXPIRED)
        slot_offer_again(slot_id=slot.pk, now=now)
        return offer
    if slot.status != FreedSlot.Status.OPEN:
        return _close(offer, Offer.TAKEN)
    entry = offer.entry
    try:
        appointment = appointment_book(
            patient=entry.patient,
            therapist=slot.therapist,
            starts_at=slot.starts_at,
            duration_minutes=entry.duration_minutes,
            actor=None,
            actor_label=PATIENT_LINK,
            kind=entry.kind,
            room=slot.room,
            note=entry.note,
        )
    except ValidationError:
        # The desk booked that time meanwhile: the slot is gone for everyone.
        slot.status = FreedSlot.Status.TAKEN
        slot.save(update_fields=["status", "updated_at"])
        _close(offer, Offer.TAKEN)
        _tell_the_others(slot, winner=offer)
        return offer
    slot.status = FreedSlot.Status.TAKEN
    slot.save(update_fields=["status", "updated_at"])
    _close(offer, Offer.ACCEPTED, answered_at=now, appointment=appointment)
    entry.status = WaitlistEntry.Status.BOOKED
    entry.save(update_fields=["status", "updated_at"])
    _tell_the_others(slot, winner=offer)
    audit_record(
        action=AuditEvent.Action.UPDATE,
        actor_label=PATIENT_LINK,
        obj=offer,
        patient_id=entry.patient_id,
        clinic_id=slot.clinic_id,
    )
    later = entry.appointment
    if later is not None and later.status == Appointment.Status.BOOKED:
        # The later appointment they waited to bring forward is freed (and offered in turn).
        appointment_set_status(
            appointment=later,
            status=Appointment.Status.CANCELLED,
            actor_label=SYSTEM,
            by_patient=True,
            reason=_("Moved to an earlier slot from the waitlist."),
        )
    return offer


@retrying_atomic
def waitlist_offer_decline(*, offer: WaitlistOffer) -> WaitlistOffer:
    """The patient does not want this slot; they stay on the waitlist and the slot goes to the
    next in line."""
    slot, offer = _locked(offer)
    if offer.status != Offer.OFFERED:
        return offer
    _close(offer, Offer.DECLINED, answered_at=timezone.now())
    slot_offer_again(slot_id=slot.pk)
    return offer
