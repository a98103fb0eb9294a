"""drf-spectacular extensions: the published schema says what the API really answers."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.extensions import OpenApiSerializerFieldExtension


def _may_be_blank(field) -> bool:
    """DRF drops `allow_blank` from read-only fields, so ask the model field too."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


class BlankableEmailFieldExtension(OpenApiSerializerFieldExtension):
    """An email field that may be blank (Patient.email: a patient may leave none) answers "",
    which `format: email` alone would call invalid: such a field is an email or empty."""

    target_class = "rest_framework.fields.EmailField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if not _may_be_blank(self.target):
            return schema
        # The type goes into the alternatives: drf-spectacular adds `format: email` to any
        # top-level string with an EmailValidator after this runs.
        email = {"type": schema.pop("type", "string"), "format": "email"}
        schema.pop("format", None)
        if self.target.max_length:
            email["maxLength"] = self.target.max_length
        return {**schema, "anyOf": [email, {"type": "string", "maxLength": 0}]}
