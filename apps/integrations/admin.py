from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .models import (
    ApiKey,
    ExternalObject,
    IdempotencyRecord,
    IntegrationApp,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from .services.keys import api_key_create, api_key_revoke, api_key_scopes_clean
from .services.webhooks import webhook_redeliver


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(IntegrationApp)
class IntegrationAppAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_active", "created_at")
    inlines = [ApiKeyInline]


@admin.action(description="Revoke selected keys")
def revoke_keys(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    for key in queryset:
        api_key_revoke(key=key)


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("integration", "name", "scopes")

    def clean_scopes(self) -> list[str]:
        scopes = self.cleaned_data["scopes"]
        if not isinstance(scopes, list):
            raise forms.ValidationError('A JSON list of scopes, e.g. ["events:write"].')
        try:
            return api_key_scopes_clean(scopes)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "integration", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("integration",)
    actions = [revoke_keys]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("integration", "name", "scopes")
        return ("integration", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("integration", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        issued = api_key_create(integration=obj.integration, name=obj.name, scopes=obj.scopes)
        obj.pk = issued.key.pk
        # The only time the secret is visible: it is stored as a digest.
        self.message_user(
            request, f"API key created. Copy it now, it is not shown again: {issued.secret}", messages.WARNING
        )


@admin.register(ExternalObject)
class ExternalObjectAdmin(admin.ModelAdmin):
    list_display = ("integration", "external_id", "stream", "name", "created_at")
    list_filter = ("integration",)
    search_fields = ("external_id", "stream")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("integration", "key", "status_code", "created_at")
    readonly_fields = ("integration", "key", "request_hash", "status_code", "response", "created_at")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("integration", "url", "is_active", "disabled_reason", "created_at")
    list_filter = ("integration", "is_active")
    readonly_fields = ("secret", "previous_secret", "previous_secret_expires_at", "created_at")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("attempted_at", "status_code", "error", "duration_ms", "response_excerpt")


@admin.action(description="Redeliver selected deliveries now")
def redeliver(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    for delivery in queryset:
        webhook_redeliver(delivery=delivery)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("webhook_id", "subscription", "activity_id", "status", "attempts", "next_attempt_at")
    list_filter = ("status",)
    readonly_fields = (
        "subscription",
        "activity_id",
        "webhook_id",
        "payload",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
    )
    inlines = [WebhookAttemptInline]
    actions = [redeliver]
