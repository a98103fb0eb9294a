"""The plan page's forms: the plan's own fields, and its goals as rows (blank rows are left
out, so a therapist adds goals without any script)."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from outcomes.models import Instrument
from outcomes.selectors import PSFS, instruments_for_clinic
from patients.models import BodyRegion, Side
from sessions.models import Movement

from .models import DischargeReason, PlanGoal, PlanOfCare

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OBJECTS = ("movement", "instrument")
# Goal rows a page offers beyond the plan's own goals.
BLANK_GOAL_ROWS = 3


class PlanForm(forms.Form):
    complaint = forms.CharField(label=_("Complaint"), widget=forms.Textarea(attrs={"rows": 3}))
    regions = forms.MultipleChoiceField(
        label=_("Body regions"),
        choices=BodyRegion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sessions_per_week = forms.IntegerField(label=_("Sessions a week"), min_value=1, max_value=7)
    weeks = forms.IntegerField(label=_("Weeks"), min_value=1, max_value=52)
    reassess_on = forms.DateField(label=_("Re-assessment due"), widget=DATE)

    @classmethod
    def initial_of(cls, plan: PlanOfCare) -> dict:
        return {name: getattr(plan, name) for name in cls.base_fields}


class GoalForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Measure"), choices=[("", "—"), *PlanGoal.Kind.choices], required=False
    )
    region = forms.ChoiceField(
        label=_("Region (pain)"), choices=[("", "—"), *BodyRegion.choices], required=False
    )
    side = forms.ChoiceField(
        label=_("Side (pain, range)"), choices=[("", "—"), *Side.choices], required=False
    )
    movement = forms.ModelChoiceField(
        label=_("Movement (range)"), queryset=Movement.objects.all(), required=False
    )
    activity = forms.CharField(label=_("Activity (PSFS)"), max_length=200, required=False)
    instrument = forms.ModelChoiceField(
        label=_("Questionnaire"), queryset=Instrument.objects.none(), required=False
    )
    target = forms.DecimalField(
        label=_("Target"), max_digits=6, decimal_places=1, min_value=0, required=False
    )

    def __init__(self, *args, clinic_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        # Indices with a total of their own; PSFS goals name an activity instead.
        field = cast("forms.ModelChoiceField", self.fields["instrument"])
        field.queryset = instruments_for_clinic(clinic_id=clinic_id).exclude(code=PSFS)

    def clean(self):
        data = super().clean() or {}
        if data.get("kind") and data.get("target") is None:
            self.add_error("target", _("Give the goal's target."))
        return data


class BaseGoalFormSet(forms.BaseFormSet):
    def goals(self) -> list[dict]:
        """The rows that name a measure, as the service takes them."""
        goals = []
        for form in self.forms:
            data = form.cleaned_data or {}
            if data.get("kind"):
                goals.append(
                    {name: data.get(name) or (None if name in OBJECTS else "")
                     for name in ("kind", "region", "side", "movement", "activity", "instrument")}
                    | {"target": data["target"]}
                )  # fmt: skip
        return goals


GoalFormSet = forms.formset_factory(
    GoalForm, formset=BaseGoalFormSet, extra=BLANK_GOAL_ROWS, max_num=20, absolute_max=20
)


def goal_initial(plan: PlanOfCare) -> list[dict]:
    return [
        {"kind": g.kind, "region": g.region, "side": g.side, "movement": g.movement_id,
         "activity": g.activity, "instrument": g.instrument_id, "target": g.target}
        for g in plan.goals.all()
    ]  # fmt: skip


class ReviseForm(forms.Form):
    reason = forms.CharField(label=_("Why the plan changes"), max_length=200)


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=DischargeReason.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
