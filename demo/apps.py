from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic `make run` seeds: catalogue data, a planner and a writer. On the top
    floor: it may import every app below it, and none imports it."""

    name = "demo"
    verbose_name = "Demo clinic"
