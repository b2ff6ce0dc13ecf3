from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        from apps.activity import registry

        from .sink import enqueue_notifications

        registry.register_sink("notifications", enqueue_notifications)
