from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    label = "plans"
    verbose_name = "Plans of care"

    def ready(self):
        # A merge of two records that each have an active plan is refused (see receivers).
        from . import receivers  # noqa: F401
