from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "apps.realtime"
    label = "realtime"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_save

        from apps.activity import registry

        from .push import push_access_recheck, push_activity_batch
        from .signals import on_logged_out, on_user_saved

        registry.register_sink("realtime", push_activity_batch)
        registry.register_access_listener("realtime", push_access_recheck)
        user_logged_out.connect(on_logged_out, dispatch_uid="realtime.logged_out")
        post_save.connect(on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="realtime.user_saved")
