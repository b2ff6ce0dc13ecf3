from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    """What an API key may do. A key holds a subset; each endpoint requires some."""

    EVENTS_WRITE = "events:write"
    FEEDS_READ = "feeds:read"
    RECORDS_READ = "records:read"
    RECORDS_WRITE = "records:write"
    WEBHOOKS_MANAGE = "webhooks:manage"


class IntegrationApp(models.Model):
    """An external system that posts events to feedhub (a CRM, a billing tool, a CI server)."""

    name = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """An integration's API key. Only its SHA-256 digest is stored; the secret is shown once."""

    integration = models.ForeignKey(IntegrationApp, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def has_scopes(self, required: set[str]) -> bool:
        return required <= set(self.scopes)


class ExternalObject(models.Model):
    """Links an integration's own object id (`INV-1001`) to a feedhub stream (`deal:42`)."""

    integration = models.ForeignKey(IntegrationApp, on_delete=models.CASCADE, related_name="external_objects")
    external_id = models.CharField(max_length=200)
    stream = models.CharField(max_length=100)
    name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "external_id"], name="external_object_unique")
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}:{self.external_id} → {self.stream}"


class IdempotencyRecord(models.Model):
    """The first response to an idempotent request, replayed to every retry with the same key.

    The unique constraint, not a prior lookup, decides which of two concurrent requests wins.
    """

    integration = models.ForeignKey(IntegrationApp, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["integration", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.integration_id}:{self.key}"
