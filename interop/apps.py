from django.apps import AppConfig


class InteropConfig(AppConfig):
    """FHIR R4 and CSV exports of the clinic's records. Reads patients and sessions; owns no
    models, so nothing else depends on it."""

    name = "interop"
    verbose_name = "Interoperability"
