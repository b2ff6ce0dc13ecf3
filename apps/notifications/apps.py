from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        from apps.activity import registry

        from .services import notifications_close_invisible
        from .sink import enqueue_notifications

        registry.register_sink("notifications", enqueue_notifications)
        registry.register_access_listener(
            "notifications",
            lambda streams, user_ids: notifications_close_invisible(streams=streams, user_ids=user_ids),
        )
