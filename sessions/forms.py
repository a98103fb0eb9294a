"""Input of the session pages: the recording page's autosaved draft (JSON) and the small forms
for signing, addenda and follow-ups."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.forms import InstantField

from .models import Addendum, FollowUp, ReminderPolicy

# What the page may send for each item; anything else is refused rather than passed to a model.
ITEM_FIELDS = {
    "pain": {"source", "region", "side", "score", "unable_to_rate"},
    "trigger_points": {
        "muscle_id", "side", "chart_view", "x", "y", "kind", "tenderness",
        "pressure_pain_threshold", "referral_pattern", "local_twitch_response", "technique",
        "hold_seconds", "repetitions", "pressure", "released",
    },
    "mobility": {"movement_id", "side", "degrees", "method"},
}  # fmt: skip
SESSION_FIELDS = {"subjective", "objective", "assessment", "plan", "duration_minutes"}
# Text columns store "" for nothing; every other empty input means "not measured" (NULL).
TEXT_FIELDS = {"subjective", "objective", "assessment", "plan", "referral_pattern"}
MAX_ITEMS = 200


class DraftError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("invalid draft")
        self.errors = errors


def _cleaned(item: dict, allowed: set[str]) -> dict:
    return {
        key: ("" if value is None else value)
        if key in TEXT_FIELDS
        else (None if value == "" else value)
        for key, value in item.items()
        if key in allowed
    }


def parse_draft(data) -> dict:
    """The keyword arguments of `session_update` from the page's JSON; raises DraftError with
    per-field messages for anything malformed. Values are checked by the models after this."""
    if not isinstance(data, dict):
        raise DraftError({"__all__": [str(_("Expected a JSON object."))]})
    errors: dict[str, list[str]] = {}
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        errors["fields"] = [str(_("Expected an object."))]
        fields = {}
    for name in fields.keys() - SESSION_FIELDS:
        errors[name] = [str(_("Unknown field."))]
    parsed = {"fields": _cleaned(fields, SESSION_FIELDS)}
    if parsed["fields"].get("duration_minutes") is None:
        parsed["fields"].pop("duration_minutes", None)

    for name, allowed in ITEM_FIELDS.items():
        items = data.get(name)
        if items is None:
            continue
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            errors[name] = [str(_("Expected a list of at most %(n)d items.") % {"n": MAX_ITEMS})]
            continue
        cleaned = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors[f"{name}.{index}"] = [str(_("Expected an object."))]
                continue
            for key in item.keys() - allowed:
                errors[f"{name}.{index}.{key}"] = [str(_("Unknown field."))]
            cleaned.append(_cleaned(item, allowed))
        parsed[name] = cleaned

    # "Unable to rate" is its own answer; a row with neither is unfinished, not a zero.
    for index, item in enumerate(parsed.get("pain", [])):
        item["unable_to_rate"] = bool(item.get("unable_to_rate"))
        if item["unable_to_rate"]:
            item["score"] = None
        elif item.get("score") is None:
            errors[f"pain.{index}.score"] = [str(_("Rate 0-10, or tick “unable to rate”."))]
    if errors:
        raise DraftError(errors)
    return parsed


class SignForm(forms.Form):
    acknowledge_red_flags = forms.BooleanField(
        required=False,
        label=_("I have read the red flags and adapted the treatment to them."),
    )


class AddendumForm(forms.ModelForm):
    class Meta:
        model = Addendum
        fields = ["kind", "reason", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


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
