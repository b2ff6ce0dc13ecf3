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

    Written in the activity's transaction; the unique constraints (here and on the activity), not a
    prior lookup, decide which of two concurrent requests wins.
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


class WebhookSubscription(models.Model):
    """Where an integration wants activities delivered, and which ones.

    Empty filters match everything. During a secret rotation the previous secret keeps signing
    (a second signature) until `previous_secret_expires_at`, so receivers can switch without a gap.
    """

    integration = models.ForeignKey(IntegrationApp, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    record_types = models.JSONField(default=list, blank=True)
    verbs = models.JSONField(default=list, blank=True)
    streams = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.integration_id} → {self.url}"


class WebhookDelivery(models.Model):
    """One activity owed to one subscription; retried until delivered, given up or disabled."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"
        CANCELLED = "cancelled"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    activity_id = models.BigIntegerField()
    # The `webhook-id` header: the same on every retry, so receivers deduplicate on it.
    webhook_id = models.CharField(max_length=64, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "activity_id"], name="webhook_delivery_unique")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhook_delivery_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP attempt."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.attempted_at}: {self.status_code or self.error}"
