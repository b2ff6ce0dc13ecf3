from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "apps.activity"
    label = "activity"

    def ready(self) -> None:
        from . import registry
        from .api.fields import integers_are_integers

        registry.register_builtin_kinds()
        integers_are_integers()
