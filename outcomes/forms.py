"""Forms built from an instrument's definition: one radio group per item (an item may be left
out: the instrument's own rule decides whether the rest can be scored), or PSFS's activities
rated 0-10 with room for new ones."""

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Instrument
from .scoring import ACTIVITIES_MAX


def wording(text: dict) -> str:
    """The definition's wording in the active language (English when it has no other)."""
    return text.get(translation.get_language() or "en") or text["en"]


class InstrumentForm(forms.Form):
    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[f"item_{item['key']}"] = forms.TypedChoiceField(
                label=f"{item['key']}. {wording(item['text'])}",
                choices=[(o["value"], wording(o["text"])) for o in item["options"]],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )

    def answers(self) -> dict[str, int | None]:
        return {
            name.removeprefix("item_"): value
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }


class PsfsForm(forms.Form):
    """The activities already named (rated again) and up to the PSFS maximum of new ones."""

    def __init__(self, *args, activities: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.activities = activities
        for index, activity in enumerate(activities):
            self.fields[f"rating_{index}"] = forms.IntegerField(
                label=activity, min_value=0, max_value=10, required=False
            )
        for index in range(ACTIVITIES_MAX - len(activities)):
            self.fields[f"new_activity_{index}"] = forms.CharField(
                label=_("Another activity you find hard"), max_length=200, required=False
            )
            self.fields[f"new_rating_{index}"] = forms.IntegerField(
                label=_("Its rating"), min_value=0, max_value=10, required=False
            )

    def clean(self):
        cleaned = super().clean() or {}
        for index in range(ACTIVITIES_MAX - len(self.activities)):
            named = (cleaned.get(f"new_activity_{index}") or "").strip()
            rated = cleaned.get(f"new_rating_{index}")
            if named and rated is None:
                self.add_error(f"new_rating_{index}", _("Rate this activity from 0 to 10."))
            if rated is not None and not named:
                self.add_error(f"new_activity_{index}", _("Name the activity you rated."))
        return cleaned

    def ratings(self) -> list[tuple[str, int]]:
        data = self.cleaned_data
        rows = [
            (activity, data[f"rating_{index}"])
            for index, activity in enumerate(self.activities)
            if data.get(f"rating_{index}") is not None
        ]
        for index in range(ACTIVITIES_MAX - len(self.activities)):
            named = (data.get(f"new_activity_{index}") or "").strip()
            if named and data.get(f"new_rating_{index}") is not None:
                rows.append((named, data[f"new_rating_{index}"]))
        return rows

    def activity_rows(self):
        """(rating field) for named activities, then (name field, rating field) pairs."""
        named = [self[f"rating_{index}"] for index in range(len(self.activities))]
        new = [
            (self[f"new_activity_{index}"], self[f"new_rating_{index}"])
            for index in range(ACTIVITIES_MAX - len(self.activities))
        ]
        return named, new
