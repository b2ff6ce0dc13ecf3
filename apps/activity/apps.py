from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "apps.activity"
    label = "activity"

    def ready(self) -> None:
        from . import registry

        registry.register_builtin_kinds()
