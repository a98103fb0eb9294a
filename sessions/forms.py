"""Input of the session pages: the small forms for signing and addenda; the patient's
post-session check-in (the recording page's autosaved draft is read by
sessions.serializers.SessionDraftSerializer, the API's schema)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.types import StrOrPromise
from patients.forms import rating_field
from patients.models import BodyRegion, Side

from .models import Addendum


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
            label: StrOrPromise = BodyRegion(region).label
            if side != Side.MIDLINE:
                label = f"{label}, {Side(side).label}"
            self.fields[f"pain_{region}_{side}"] = rating_field(label)
        # Pain first, then soreness and the free text.
        self.order_fields([f"pain_{r}_{s}" for r, s in regions])

    def pain(self) -> list[tuple[str, str, int]]:
        return [(r, s, self.cleaned_data[f"pain_{r}_{s}"]) for r, s in self.regions]

    def pain_fields(self):
        return [self[f"pain_{r}_{s}"] for r, s in self.regions]
