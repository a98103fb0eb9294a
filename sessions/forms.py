"""Input of the session pages: the recording page's autosaved draft (JSON) and the small forms
for signing and addenda; the patient's post-session check-in."""

from django import forms
from django.utils.translation import gettext_lazy as _

from patients.forms import rating_field
from patients.models import BodyRegion, Side

from .models import Addendum

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


class CheckInForm(forms.Form):
    """Pain now in each treated region, soreness, and anything unexpected."""

    soreness = rating_field(_("Soreness from the treatment (0 = none, 10 = worst imaginable)"))
    unexpected = forms.CharField(
        label=_("Anything unexpected since the session? (bruising, dizziness, new pain…)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, regions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = regions
        for region, side in regions:
            label = BodyRegion(region).label
            if side != Side.MIDLINE:
                label = f"{label}, {Side(side).label}"
            self.fields[f"pain_{region}_{side}"] = rating_field(label)
        # Pain first, then soreness and the free text.
        self.order_fields([f"pain_{r}_{s}" for r, s in regions])

    def pain(self) -> list[tuple[str, str, int]]:
        return [(r, s, self.cleaned_data[f"pain_{r}_{s}"]) for r, s in self.regions]

    def pain_fields(self):
        return [self[f"pain_{r}_{s}"] for r, s in self.regions]
