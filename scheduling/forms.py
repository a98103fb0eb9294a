"""Input of the scheduling pages: booking, moving and filtering follow-ups, the reminder policy."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clinic.forms import InstantField

from .models import Appointment, FollowUp, ReminderPolicy, WaitlistEntry
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
    therapist = forms.ModelChoiceField(
        label=_("Therapist"), queryset=None, required=False, empty_label=_("Any therapist")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *FollowUp.Status.choices], required=False
    )

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        self.fields["therapist"].label_from_instance = lambda u: u.get_full_name() or u.username


class FollowUpForm(forms.Form):
    due_at = InstantField(label=_("Date and time"), widget=LocalDateTimeInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    therapist = forms.ModelChoiceField(
        label=_("Therapist"), queryset=None, required=False, empty_label=_("Not assigned")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        self.fields["therapist"].label_from_instance = lambda u: u.get_full_name() or u.username

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
        ]
        labels = {
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


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class WaitlistEntryForm(forms.Form):
    """A patient's request for an earlier slot, as front desk takes it on the phone."""

    therapist = forms.ModelChoiceField(
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
    appointment = forms.ModelChoiceField(
        label=_("Earlier than"),
        queryset=None,
        required=False,
        empty_label=_("No appointment yet"),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, therapists, appointments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        self.fields["therapist"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["appointment"].queryset = appointments
        self.fields["appointment"].label_from_instance = lambda a: formats.date_format(
            timezone.localtime(a.starts_at), "DATETIME_FORMAT"
        )

    def add_service_error(self, error: ValidationError) -> None:
        """The service's refusal beside the field it names, or above the form (the patient)."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


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
    any_therapist = forms.BooleanField(
        label=_("Another therapist is fine too"), required=False
    )
