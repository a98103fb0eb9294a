"""Forms for the patient's intake (one per step) and the staff pages around it.

Each intake step's `cleaned_data` is stored as typed (JSON) in IntakeSubmission.answers, so
`answers_from` gives JSON-safe values and a stored step renders back as the form's initial data.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import cast

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clinic.types import StrOrPromise

from .body_chart import chart_views
from .models import (
    ActivityProfile,
    Channel,
    DurationCategory,
    Patient,
    RedFlag,
    date_of_birth_problem,
)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
PSFS_ITEMS = 3
# Names a patient may write instead of ticking "blood thinners": over-flagging is the safe side.
ANTICOAGULANT_NAMES = re.compile(
    r"\b(warfarin|coumadin|sintrom|acenocoumarol|apixaban|eliquis|rivaroxaban|xarelto|"
    r"dabigatran|pradaxa|edoxaban|lixiana|savaysa|heparin|enoxaparin|clexane|lovenox|"
    r"heparina|enoxaparina)\b",
    re.IGNORECASE,
)


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text_area(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows})


def rating_field(label, *, required: bool = True) -> forms.IntegerField:
    """A 0-10 rating (pain, soreness, a PSFS item) with a number keypad on phones."""
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 10}),
        error_messages={"required": _("Please rate it from 0 to 10.")},
    )


def answers_from(cleaned_data: dict) -> dict:
    """JSON-safe copy of a step's cleaned data (dates as ISO strings, empty values dropped)."""
    safe = {}
    for name, value in cleaned_data.items():
        if value is None or value == "":
            continue
        safe[name] = value.isoformat() if isinstance(value, dt.date) else value
    return safe


class PersonalForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=_date_input())
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    occupation = forms.CharField(label=_("Occupation"), max_length=120, required=False)

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if born.year < 1900:
            raise forms.ValidationError(_("Please check the year."))
        return born


class HistoryForm(forms.Form):
    chief_complaint = forms.CharField(
        label=_("What brings you to the clinic?"), widget=_text_area(), max_length=2000
    )
    health_history = forms.CharField(
        label=_("Other health conditions, injuries or operations"),
        widget=_text_area(),
        required=False,
        max_length=4000,
    )


# Blood thinners are asked with the medications, where the patient is thinking about them.
SCREENED_FLAGS = [flag for flag in RedFlag if flag != RedFlag.ANTICOAGULANTS]


class RedFlagForm(forms.Form):
    """One yes/no per red flag (domain.md); each "yes" needs details for the therapist."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for flag in SCREENED_FLAGS:
            self.fields[flag.value] = forms.ChoiceField(
                label=flag.label, choices=YES_NO, widget=forms.RadioSelect
            )
            self.fields[f"{flag.value}_details"] = forms.CharField(
                label=_("Please tell us more"), required=False, max_length=1000
            )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean answers (the stubs allow None)
        for flag in SCREENED_FLAGS:
            if cleaned.get(flag.value) == "yes" and not cleaned.get(f"{flag.value}_details"):
                self.add_error(f"{flag.value}_details", _("Please add a few details."))
        return cleaned

    def flag_rows(self):
        return [(self[flag.value], self[f"{flag.value}_details"]) for flag in SCREENED_FLAGS]


class MedicationsForm(forms.Form):
    medications = forms.CharField(
        label=_("Medicines you take"),
        help_text=_("Name and dose if you know it; write “none” if you take none."),
        widget=_text_area(),
        max_length=2000,
    )
    takes_anticoagulants = forms.ChoiceField(
        label=_("Do you take blood thinners (anticoagulants) or have a bleeding disorder?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    anticoagulant_details = forms.CharField(
        label=_("Which one, and since when?"), required=False, max_length=500
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean answers (the stubs allow None)
        if cleaned.get("takes_anticoagulants") == "yes" and not cleaned.get(
            "anticoagulant_details"
        ):
            self.add_error("anticoagulant_details", _("Please add a few details."))
        return cleaned


def pain_regions() -> list[tuple[str, str, str, str]]:
    """(field name, region, side, label) for every region/side the body chart can pick, once,
    labelled for the patient who fills the intake."""
    seen = {}
    for view in chart_views(for_patient=True):
        for shape in view["shapes"]:
            key = (shape["region"], shape["side"])
            if key not in seen:
                seen[key] = (f"pain_{shape['region']}_{shape['side']}", *key, shape["label"])
    return list(seen.values())


class PainMapForm(forms.Form):
    """A 0-10 rating per painful region. The body chart fills these inputs; without JavaScript
    they are a plain list, and a blank rating means no pain there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = pain_regions()
        for name, _region, _side, label in self.regions:
            self.fields[name] = rating_field(label, required=False)

    def rows(self):
        return [(self[name], region, side) for name, region, side, _label in self.regions]


class OnsetForm(forms.Form):
    onset_date = forms.DateField(
        label=_("When did it start? (an approximate date is fine)"),
        widget=_date_input(),
        required=False,
    )
    duration_category = forms.ChoiceField(
        label=_("How long have you had it?"),
        choices=DurationCategory.choices,
        widget=forms.RadioSelect,
    )
    eases = forms.CharField(
        label=_("What eases it?"), widget=_text_area(2), required=False, max_length=1000
    )
    worsens = forms.CharField(
        label=_("What makes it worse?"), widget=_text_area(2), required=False, max_length=1000
    )

    def clean_onset_date(self):
        onset = self.cleaned_data["onset_date"]
        if onset and onset > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return onset


class DailyLifeForm(forms.Form):
    activity_profile = forms.ChoiceField(
        label=_("How active are you?"), choices=ActivityProfile.choices, widget=forms.RadioSelect
    )
    postures = forms.CharField(
        label=_("Postures you hold every day (desk, driving, standing…)"),
        widget=_text_area(2),
        required=False,
        max_length=1000,
    )
    sport = forms.CharField(
        label=_("Sport or exercise, and how often"),
        widget=_text_area(2),
        required=False,
        max_length=1000,
    )


class GoalsForm(forms.Form):
    """Goals and the Patient-Specific Functional Scale: up to three activities, 0-10 each."""

    goals = forms.CharField(
        label=_("What would you like to get back to?"), widget=_text_area(), max_length=2000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in range(1, PSFS_ITEMS + 1):
            self.fields[f"activity_{item}"] = forms.CharField(
                label=_("Activity %(item)s") % {"item": item}, max_length=200, required=False
            )
            self.fields[f"score_{item}"] = rating_field(
                _("How well can you do it now? (0 = unable, 10 = as before)"), required=False
            )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean answers (the stubs allow None)
        named = 0
        for item in range(1, PSFS_ITEMS + 1):
            activity, score = cleaned.get(f"activity_{item}"), cleaned.get(f"score_{item}")
            if f"score_{item}" in self.errors:
                continue
            if activity and score is None:
                self.add_error(f"score_{item}", _("Please rate this activity from 0 to 10."))
            elif score is not None and not activity:
                self.add_error(f"activity_{item}", _("Please name the activity you rated."))
            named += bool(activity)
        if not named and not self.errors:
            self.add_error("activity_1", _("Please name at least one activity."))
        return cleaned

    def items(self):
        return [
            (item, self[f"activity_{item}"], self[f"score_{item}"])
            for item in range(1, PSFS_ITEMS + 1)
        ]


class ConsentForm(forms.Form):
    consent_to_treatment = forms.BooleanField(
        label=_(
            "I consent to neuromuscular massage treatment. I know I can ask to change the "
            "pressure or stop at any time."
        ),
        error_messages={"required": _("Treatment needs your consent.")},
    )
    consent_to_reminders = forms.BooleanField(
        label=_("Send me appointment reminders and a short check-in after sessions."),
        required=False,
    )
    reminder_channel = forms.ChoiceField(
        label=_("Send them by"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    signature_name = forms.CharField(
        label=_("Type your full name to sign"),
        max_length=200,
        error_messages={"required": _("Please type your full name to sign.")},
    )

    def __init__(self, *args, phone: str = "", email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.phone, self.email = phone, email

    def clean_signature_name(self):
        name = self.cleaned_data["signature_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please type your full name to sign."))
        return name

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean answers (the stubs allow None)
        channel = cleaned.get("reminder_channel")
        if cleaned.get("consent_to_reminders") and not channel:
            self.add_error("reminder_channel", _("Choose how we should send them."))
        if cleaned.get("consent_to_reminders") and channel == Channel.SMS and not self.phone:
            self.add_error("reminder_channel", _("Add a mobile number in step 1 for texts."))
        if cleaned.get("consent_to_reminders") and channel == Channel.EMAIL and not self.email:
            self.add_error("reminder_channel", _("Add an email address in step 1 for emails."))
        return cleaned


@dataclass(frozen=True)
class Step:
    key: str
    title: StrOrPromise
    form_class: type[forms.Form] | None


STEPS = (
    Step("personal", _("About you"), PersonalForm),
    Step("history", _("Your health"), HistoryForm),
    Step("red_flags", _("Safety questions"), RedFlagForm),
    Step("medications", _("Medicines"), MedicationsForm),
    Step("pain", _("Where it hurts"), PainMapForm),
    Step("onset", _("When it started"), OnsetForm),
    Step("daily_life", _("Your day and sport"), DailyLifeForm),
    Step("goals", _("Your goals"), GoalsForm),
    Step("consent", _("Consent and signature"), ConsentForm),
    Step("review", _("Check and send"), None),
)


def step_form(step: Step, answers: dict, data=None) -> forms.Form:
    """The step's form, bound to `data` when posted, else showing what was saved."""
    if step.form_class is None:
        raise ValueError(f"The {step.key} step has no form.")
    kwargs = {}
    if step.form_class is ConsentForm:
        personal = answers.get("personal", {})
        kwargs = {"phone": personal.get("phone", ""), "email": personal.get("email", "")}
    return step.form_class(data=data, initial=answers.get(step.key, {}), **kwargs)


# Staff forms


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Patient's email"))
    language = forms.ChoiceField(
        label=_("Language of the form"),
        choices=[("", _("The patient's browser language")), *settings.LANGUAGES],
        required=False,
    )

    def __init__(self, *args, clinics=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked only of staff working in several clinics, for a patient not registered yet.
        if clinics is not None and len(clinics) > 1:
            self.fields["clinic"] = forms.ModelChoiceField(label=_("Clinic"), queryset=clinics)


class IntakeLinkForm(forms.Form):
    """Link a submitted intake to one of the candidate patients, or create a new patient."""

    NEW = "new"

    patient = forms.ChoiceField(label=_("Patient"), widget=forms.RadioSelect)

    def __init__(self, *args, candidates: list[Patient], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(p.pk): p for p in candidates}
        cast(forms.ChoiceField, self.fields["patient"]).choices = [
            *(
                (str(p.pk), f"{p.full_name} — {p.date_of_birth:%Y-%m-%d} {p.email}".strip())
                for p in candidates
            ),
            (self.NEW, _("Create a new patient from these details")),
        ]

    def chosen_patient(self) -> Patient | None:
        return self.candidates.get(self.cleaned_data["patient"])


class RedFlagClearForm(forms.Form):
    note = forms.CharField(
        label=_("Why these red flags no longer stop or adapt treatment"),
        widget=_text_area(),
        max_length=2000,
    )


def pain_ratings(pain_answers: dict) -> list[tuple[str, str, int]]:
    """(region, side, score) for every rated region of a saved pain-map step."""
    return [
        (region, side, pain_answers[name])
        for name, region, side, _label in pain_regions()
        if pain_answers.get(name) is not None
    ]


def psfs_items(goals_answers: dict) -> list[tuple[int, str, int]]:
    """(item, activity, score) for every named PSFS activity, renumbered from 1."""
    named = [
        (goals_answers[f"activity_{i}"], goals_answers[f"score_{i}"])
        for i in range(1, PSFS_ITEMS + 1)
        if goals_answers.get(f"activity_{i}")
    ]
    return [(item, activity, score) for item, (activity, score) in enumerate(named, start=1)]


def _shown(field: forms.Field, value) -> str:
    if isinstance(field, forms.DateField):
        return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    choices = dict(getattr(field, "choices", []) or [])
    return str(choices.get(value, value))


# (label, value): a field's label may be lazy, or missing.
Row = tuple[StrOrPromise | None, StrOrPromise]


def _section_rows(step: Step, saved: dict) -> list[Row]:
    if step.form_class is None:
        raise ValueError(f"The {step.key} step has no form.")
    form = step.form_class()
    if step.key == "red_flags":
        rows: list[Row] = [
            (flag.label, f"{_('Yes')} — {saved.get(f'{flag.value}_details', '')}")
            for flag in SCREENED_FLAGS
            if saved.get(flag.value) == "yes"
        ]
        return rows or [(_("Safety questions"), _("No to every question"))]
    if isinstance(form, PainMapForm):
        rows = [
            (label, f"{saved[name]}/10") for name, _r, _s, label in form.regions if name in saved
        ]
        return rows or [(_("Where it hurts"), _("No painful area marked"))]
    if step.key == "goals":
        return [(form.fields["goals"].label, saved.get("goals", ""))] + [
            (activity, f"{score}/10") for _item, activity, score in psfs_items(saved)
        ]
    return [
        (field.label, _shown(field, saved[name]))
        for name, field in form.fields.items()
        if saved.get(name) not in (None, "", False)
    ]


def review_sections(answers: dict, edit_url: str | None = None) -> list[dict]:
    """Every saved step as (label, value) rows in the patient's language, for the patient's
    last check and for the therapist reading the intake."""
    sections = []
    for number, step in enumerate(STEPS, start=1):
        if step.form_class is None or step.key not in answers:
            continue
        sections.append(
            {
                "number": number,
                "title": step.title,
                "rows": _section_rows(step, answers[step.key]),
                "edit": f"{edit_url}?step={number}" if edit_url else None,
            }
        )
    return sections


class PatientForm(forms.ModelForm):
    """Register or edit a patient: what the front desk types in. The service decides; this form
    parses and shows its per-field errors next to what was typed."""

    confirm_duplicate = forms.BooleanField(
        label=_("This is someone else: register anyway"), required=False
    )

    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "phone_other",
            "email",
            "preferred_language",
            "consents_to_email",
            "consents_to_sms",
            "preferred_channel",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relation",
            "staff_note",
        ]
        widgets = {
            "date_of_birth": _date_input(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "phone_other": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
            "staff_note": _text_area(),
        }

    def __init__(self, *args, zone, duplicates_found: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        # Offered only once the service has found possible duplicates to confirm against.
        if not duplicates_found:
            del self.fields["confirm_duplicate"]

    def clean_date_of_birth(self):
        # The service's own rule, checked here too so that every field's error shows at once.
        born = self.cleaned_data["date_of_birth"]
        if problem := date_of_birth_problem(born, zone=self.zone):
            raise forms.ValidationError(problem)
        return born

    def _post_clean(self):
        # The service validates the instance (model rules and its own), not the form.
        pass

    def details(self) -> dict:
        """The fields the service takes, as parsed."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def service_errors(self, error) -> None:
        """A service's ValidationError, each message next to its field (else at the top)."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
