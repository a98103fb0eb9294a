"""Input of the scheduling pages: the appointment book (booking, moving, cancelling), booking,
moving and filtering follow-ups, the reminder policy."""

import datetime as dt
from typing import cast

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clinic.forms import InstantField
from clinic.types import User

from .hours import WEEKDAYS
from .models import Appointment, FollowUp, ReminderPolicy, Room, WaitlistEntry
from .selectors import clinic_therapists

WHEN_CHOICES = [
    ("", _("Any time")),
    ("today", _("Due today")),
    ("week", _("This week")),
    ("overdue", _("Overdue")),
]


class LocalDateTimeInput(forms.DateTimeInput):
    """A phone's or tablet's own date-time picker; read in the clinic's zone (the view
    activates it)."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class FollowUpFilterForm(forms.Form):
    when = forms.ChoiceField(label=_("When"), choices=WHEN_CHOICES, required=False)
    therapist: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Therapist"), queryset=None, required=False, empty_label=_("Any therapist")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *FollowUp.Status.choices], required=False
    )

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        therapist = cast("forms.ModelChoiceField[User]", self.fields["therapist"])
        therapist.queryset = therapists
        # Relabelled on this instance, not in a subclass (the stubs see a method).
        therapist.label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[method-assign,assignment]


class FollowUpForm(forms.Form):
    due_at = InstantField(label=_("Date and time"), widget=LocalDateTimeInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    therapist: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Therapist"), queryset=None, required=False, empty_label=_("Not assigned")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        therapist = cast("forms.ModelChoiceField[User]", self.fields["therapist"])
        therapist.queryset = therapists
        # Relabelled on this instance, not in a subclass (the stubs see a method).
        therapist.label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[method-assign,assignment]

    def clean_due_at(self):
        due_at = self.cleaned_data["due_at"]
        if due_at < timezone.now() - dt.timedelta(minutes=5):
            raise forms.ValidationError(_("A follow-up is planned in the future."))
        return due_at


class FollowUpMoveForm(forms.Form):
    due_at = InstantField(label=_("New date and time"), widget=LocalDateTimeInput())


class ReminderPolicyForm(forms.ModelForm):
    class Meta:
        model = ReminderPolicy
        fields = [
            "first_reminder_hours",
            "second_reminder_hours",
            "check_in_after_hours",
            "quiet_hours_start",
            "quiet_hours_end",
            "email_enabled",
            "sms_enabled",
            "late_cancellation_hours",
        ]
        labels = {
            "late_cancellation_hours": _("A cancellation is late, hours before the appointment"),
            "first_reminder_hours": _("First reminder, hours before the appointment"),
            "second_reminder_hours": _("Second reminder, hours before the appointment"),
            "check_in_after_hours": _("Check-in request, hours after the session"),
            "quiet_hours_start": _("Quiet hours start"),
            "quiet_hours_end": _("Quiet hours end"),
            "email_enabled": _("Send by email"),
            "sms_enabled": _("Send by text message"),
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


def session_follow_up_form(session, data=None) -> FollowUpForm:
    """The follow-up form under a session: the session's therapist unless another is chosen."""
    return FollowUpForm(
        data,
        therapists=clinic_therapists(clinic=session.patient.clinic),
        initial={"therapist": session.therapist_id},
    )


DURATIONS = [
    (minutes, _("%(minutes)d min") % {"minutes": minutes}) for minutes in range(15, 135, 15)
]


def _therapist_field(therapists, *, required: bool = True) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=_("Therapist"),
        queryset=therapists,
        required=required,
        empty_label=None if required else _("Same therapist"),
    )
    field.label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[method-assign,assignment]
    return field


class AppointmentForm(forms.Form):
    """Booking on the book (the patient is chosen first)."""

    starts_at = InstantField(label=_("Date and time"), widget=LocalDateTimeInput())
    duration = forms.TypedChoiceField(
        label=_("Duration"), choices=DURATIONS, coerce=int, initial=45
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Appointment.Kind.choices, initial=Appointment.Kind.TREATMENT
    )
    room = forms.ModelChoiceField(
        label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, therapists, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"therapist": _therapist_field(therapists), **self.fields}
        cast("forms.ModelChoiceField[Room]", self.fields["room"]).queryset = rooms


class AppointmentMoveForm(forms.Form):
    """The move form: the path that needs no dragging."""

    starts_at = InstantField(label=_("New date and time"), widget=LocalDateTimeInput())
    duration = forms.TypedChoiceField(
        label=_("Duration"), choices=DURATIONS, coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"] = _therapist_field(therapists, required=False)


class AppointmentCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


def form_refused(form: forms.Form, error) -> None:
    """A service's refusal onto the form that was sent: a field's message beside the field, the
    rest (another field of the service's, or no field) above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=WEEKDAYS, coerce=int)
    starts = forms.TimeField(label=_("From"), widget=TIME)
    ends = forms.TimeField(label=_("To"), widget=TIME)


class HoursExceptionForm(forms.Form):
    first_day = forms.DateField(label=_("First day"), widget=DATE)
    last_day = forms.DateField(label=_("Last day"), widget=DATE)
    starts = forms.TimeField(label=_("From (empty: leave)"), widget=TIME, required=False)
    ends = forms.TimeField(label=_("To"), widget=TIME, required=False)
    note = forms.CharField(label=_("Note"), max_length=120, required=False)


class WaitlistEntryForm(forms.Form):
    """A patient's request for an earlier slot, as front desk takes it on the phone."""

    therapist: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        label=_("Therapist"), queryset=None, required=False, empty_label=_("Any therapist")
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4],
    )
    parts_of_day = forms.TypedMultipleChoiceField(
        label=_("Part of the day"),
        choices=WaitlistEntry.PartOfDay.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=WaitlistEntry.PartOfDay.values,
    )
    until = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=480, initial=45
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Appointment.Kind.choices, initial=Appointment.Kind.TREATMENT
    )
    appointment: "forms.ModelChoiceField[Appointment]" = forms.ModelChoiceField(
        label=_("Earlier than"),
        queryset=None,
        required=False,
        empty_label=_("No appointment yet"),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, therapists, appointments, **kwargs):
        super().__init__(*args, **kwargs)
        therapist = cast("forms.ModelChoiceField[User]", self.fields["therapist"])
        therapist.queryset = therapists
        # Relabelled on this instance, not in a subclass (the stubs see a method).
        therapist.label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[method-assign,assignment]
        appointment = cast("forms.ModelChoiceField[Appointment]", self.fields["appointment"])
        appointment.queryset = appointments
        appointment.label_from_instance = lambda a: formats.date_format(  # type: ignore[method-assign,assignment]
            timezone.localtime(a.starts_at), "DATETIME_FORMAT"
        )


class WaitlistJoinForm(forms.Form):
    """The patient's own request for an earlier slot, from their appointment reminder's link."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Which days suit you?"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4],
        error_messages={"required": _("Choose at least one day.")},
    )
    parts_of_day = forms.TypedMultipleChoiceField(
        label=_("At what time of day?"),
        choices=WaitlistEntry.PartOfDay.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=WaitlistEntry.PartOfDay.values,
        error_messages={"required": _("Choose at least one time of day.")},
    )
    any_therapist = forms.BooleanField(label=_("Another therapist is fine too"), required=False)
