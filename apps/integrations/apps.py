from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from apps.activity import registry

        from .services.webhooks import webhook_deliveries_enqueue

        registry.register_kind(registry.StreamKind(prefix="ext", label="External object"))
        registry.register_sink("webhooks", webhook_deliveries_enqueue)
