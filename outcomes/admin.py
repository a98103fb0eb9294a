"""Instruments in Django's admin: a clinic's own licensed definition is uploaded as JSON and
validated exactly as `manage.py instrument_load` does (a definition is then read-only: a change
is a new version, so scores are never re-scored under another rule); responses are records,
shown read-only; the clinic's questionnaire schedule is editable."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from clinic.admin import AuditedAdmin, RecordAdmin
from clinic.models import Clinic

from .models import Instrument, InstrumentResponse, OutcomePolicy
from .scoring import definition_validate
from .services import instrument_load

MAX_DEFINITION_BYTES = 512 * 1024


class InstrumentUploadForm(forms.ModelForm):
    definition_file = forms.FileField(
        help_text="The definition as JSON: items with en/es wording and answer options, scoring "
        "rule, range, direction, MCID, source and licence decision (outcomes/scoring.py)."
    )

    class Meta:
        model = Instrument
        fields = ["clinic"]

    def clean(self):
        cleaned = super().clean() or {}
        upload = cleaned.get("definition_file")
        if upload is None:
            return cleaned
        if upload.size > MAX_DEFINITION_BYTES:
            raise ValidationError({"definition_file": "The file is over 512 KB."})
        try:
            data = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError({"definition_file": f"Not JSON: {exc}"}) from exc
        try:
            definition_validate(data)
        except ValidationError as exc:
            problems = [f"{path}: {' '.join(m)}" for path, m in exc.message_dict.items()]
            raise ValidationError({"definition_file": problems}) from exc
        scored = InstrumentResponse.objects.filter(
            instrument__clinic=cleaned.get("clinic"),
            instrument__code=data["code"],
            instrument__version=data["version"],
        )
        if scored.exists():
            raise ValidationError(
                {"definition_file": "This version has responses already: load a new version."}
            )
        cleaned["data"] = data
        return cleaned


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name_en", "clinic", "direction", "mcid", "active"]
    list_filter = ["code", "clinic", "active"]
    readonly_fields = [
        "code", "version", "name_en", "name_es", "direction", "range_min", "range_max",
        "mcid", "regions", "source", "licence", "definition", "loaded_at",
    ]  # fmt: skip
    actions = None

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InstrumentUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["clinic", "definition_file"]
        return ["clinic", "active", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["clinic", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None):
        return False  # responses point at it; retire a definition with `active`

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)  # only `active` is editable
            return
        clinic: Clinic | None = form.cleaned_data.get("clinic")
        # Validated by the form, as the service validates it again under its own rules.
        loaded = instrument_load(
            data=form.cleaned_data["data"], clinic=clinic, actor=request.user, actor_label=""
        )
        obj.pk = loaded.pk


@admin.register(InstrumentResponse)
class InstrumentResponseAdmin(RecordAdmin):
    list_display = ["id", "patient", "instrument", "occasion", "taken_at", "total", "answered"]
    list_filter = ["instrument", "occasion"]
    list_select_related = ["patient", "instrument"]
    raw_id_fields = ["patient", "session", "entered_by"]


@admin.register(OutcomePolicy)
class OutcomePolicyAdmin(AuditedAdmin):
    list_display = ["clinic", "every_sessions", "every_weeks"]
