from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "apps.realtime"
    label = "realtime"

    def ready(self) -> None:
        from apps.activity import registry

        from .push import push_activity_batch

        registry.register_sink("realtime", push_activity_batch)
