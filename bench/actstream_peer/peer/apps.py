from django.apps import AppConfig


class PeerConfig(AppConfig):
    name = "peer"
    label = "peer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from actstream import registry
        from django.contrib.auth.models import User

        registry.register(User, self.get_model("Record"))
