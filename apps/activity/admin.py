from django.contrib import admin, messages
from django.http import HttpRequest

from .deadletters import dead_letters_replay
from .models import DeadLetter


@admin.action(description="Replay selected dead letters")
def replay(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> None:
    replayed = dead_letters_replay(ids=queryset.values_list("pk", flat=True))
    modeladmin.message_user(
        request, f"Replayed {len(replayed)} (already replayed ones are skipped).", messages.INFO
    )


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("key", "task", "failures", "last_failed_at", "replayed_at")
    list_filter = ("task", ("replayed_at", admin.EmptyFieldListFilter))
    search_fields = ("key",)
    readonly_fields = (
        "key",
        "task",
        "args",
        "error",
        "failures",
        "created_at",
        "last_failed_at",
        "replayed_at",
    )
    actions = [replay]
