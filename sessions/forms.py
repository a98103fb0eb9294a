"""Input of the session pages: the small forms for signing and addenda; the patient's
post-session check-in (the recording page's autosaved draft is read by
sessions.serializers.SessionDraftSerializer, the API's schema)."""

from collections.abc import Sequence
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.types import StrOrPromise
from patients.forms import rating_field
from patients.models import BodyRegion, Side

from .models import (
    Addendum,
    FactorFollowUp,
    Muscle,
    NoteRequirements,
    PerpetuatingFactor,
    SoapTemplate,
    TriggerPointSettings,
)


class SignForm(forms.Form):
    acknowledge_red_flags = forms.BooleanField(
        required=False,
        label=_("I have read the red flags and adapted the treatment to them."),
    )


class AddendumForm(forms.ModelForm):
    """An addendum; a correction may also amend one trigger point of the note (its muscle,
    side or scores), which the history and reports then use."""

    correct_point = forms.TypedChoiceField(
        label=_("Trigger point to correct"), required=False, coerce=int, empty_value=None
    )
    correct_muscle = forms.ModelChoiceField(
        Muscle.objects.all(), label=_("Correct muscle"), required=False, to_field_name="slug"
    )
    correct_side = forms.ChoiceField(
        label=_("Correct side"), required=False, choices=[("", "—"), *Side.choices]
    )
    correct_tenderness = rating_field(_("Correct tenderness 0-10"), required=False)
    correct_pressure = rating_field(_("Correct pressure 0-10"), required=False)

    class Meta:
        model = Addendum
        fields = ["kind", "reason", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    CORRECTIONS = ("correct_muscle", "correct_side", "correct_tenderness", "correct_pressure")

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        points = list(session.trigger_points.all())
        cast(forms.ChoiceField, self.fields["correct_point"]).choices = [
            ("", _("None: the addendum is text only")),
            *(
                (p.pk, f"{i}. {p.muscle.name} — {p.get_side_display()}")
                for i, p in enumerate(points, 1)
            ),
        ]
        if not points:
            for name in ("correct_point", *self.CORRECTIONS):
                del self.fields[name]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if "correct_point" not in self.fields:
            return data
        changes = [name for name in self.CORRECTIONS if data.get(name) not in (None, "")]
        if changes and data.get("correct_point") is None:
            self.add_error("correct_point", _("Choose the trigger point this corrects."))
        elif data.get("correct_point") is not None and not changes:
            self.add_error("correct_point", _("Say what changes: the muscle, the side or a score."))
        return data

    def service_arguments(self) -> dict:
        """The keyword arguments of `services.addendum_add` (besides session and author)."""
        data = self.cleaned_data
        arguments = {name: data[name] for name in ("kind", "reason", "text")}
        if data.get("correct_point") is not None:
            arguments["corrections"] = [
                {
                    "trigger_point": data["correct_point"],
                    "muscle": data["correct_muscle"],
                    "side": data["correct_side"],
                    "tenderness": data["correct_tenderness"],
                    "pressure": data["correct_pressure"],
                }
            ]
        return arguments


class CheckInForm(forms.Form):
    """Pain now in each treated region, soreness, and anything unexpected."""

    soreness = rating_field(_("Soreness from the treatment (0 = none, 10 = worst imaginable)"))
    unexpected = forms.CharField(
        label=_("Anything unexpected since the session? (bruising, dizziness, new pain…)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(
        self, *args, regions: list[tuple[str, str]], factors: Sequence[str] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.regions = regions
        self.factors = list(factors)
        # A short question per factor the therapist recorded (optional: the patient may skip).
        for code in self.factors:
            self.fields[f"factor_{code}"] = forms.ChoiceField(
                label=PerpetuatingFactor(code).label,
                choices=FactorFollowUp.Answer.choices,
                widget=forms.RadioSelect,
                required=False,
            )
        for region, side in regions:
            label: StrOrPromise = BodyRegion(region).label
            if side != Side.MIDLINE:
                label = f"{label}, {Side.to_patient(side)}"  # the patient's page
            self.fields[f"pain_{region}_{side}"] = rating_field(label)
        # Pain first, then soreness and the free text.
        self.order_fields([f"pain_{r}_{s}" for r, s in regions])

    def pain(self) -> list[tuple[str, str, int]]:
        return [(r, s, self.cleaned_data[f"pain_{r}_{s}"]) for r, s in self.regions]

    def pain_fields(self):
        return [self[f"pain_{r}_{s}"] for r, s in self.regions]

    def factor_answers(self) -> list[tuple[str, str]]:
        return [(code, self.cleaned_data[f"factor_{code}"]) for code in self.factors]

    def factor_fields(self):
        return [self[f"factor_{code}"] for code in self.factors]


class NoteRequirementsForm(forms.ModelForm):
    class Meta:
        model = NoteRequirements
        fields = ["soap_required", "pain_before_required", "pain_after_required"]


class TriggerPointSettingsForm(forms.ModelForm):
    class Meta:
        model = TriggerPointSettings
        fields = ["minimal_detectable_change", "reference_muscle", "forecast_min_points"]
        help_texts = {
            "minimal_detectable_change": _(
                "A change in pressure-pain threshold smaller than this is measurement error "
                "(0.45-0.62 kg/cm² on upper-trapezius points)."
            ),
            "reference_muscle": _("Empty: the deltoid, rarely a trigger-point site."),
            "forecast_min_points": _(
                "Below this many points a forecast group falls back to a coarser one."
            ),
        }


class SoapTemplateForm(forms.ModelForm):
    class Meta:
        model = SoapTemplate
        fields = ["name", "subjective", "objective", "assessment", "plan"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("subjective", "objective", "assessment", "plan")
        }
