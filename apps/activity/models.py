from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .verbs import Source


class Activity(models.Model):
    """Something that happened, shaped after W3C Activity Streams 2.0. Append-only.

    Names of the object and target are snapshotted so a feed renders without touching the
    records, and history survives the record's deletion.
    """

    id = models.BigAutoField(primary_key=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    object_name = models.CharField(max_length=255, blank=True)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=255, blank=True)
    published = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.WEB)
    source_client = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    # The transactional outbox: set in the writing transaction, cleared by fan-out. The
    # sweeper re-enqueues a pending fan-out once `fanout_due_at` passes, then pushes it on by a
    # grace period that doubles with each claim, so a slow backlog is not enqueued again and again.
    fanout_pending = models.BooleanField(default=True)
    fanout_due_at = models.DateTimeField(null=True, blank=True)
    fanout_claims = models.PositiveSmallIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_client", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="activity_idempotency_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["fanout_due_at"],
                condition=Q(fanout_pending=True),
                name="activity_outbox_due",
            ),
            models.Index(fields=["object_type", "object_id", "id"], name="activity_object"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.object_type}:{self.object_id}"

    @property
    def object_stream(self) -> str:
        return f"{self.object_type}:{self.object_id}"


class ActivityStream(models.Model):
    """Membership of an activity in a stream (`deal:42`, `user:3`, `topic:pricing`)."""

    id = models.BigAutoField(primary_key=True)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="streams")
    stream = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "activity"], name="activity_stream_unique")]

    def __str__(self) -> str:
        return f"{self.stream} ∋ {self.activity_id}"


class Follow(models.Model):
    """A user following a stream, with per-follow settings."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    stream = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    muted = models.BooleanField(default=False)
    # Empty means every verb; otherwise only these verbs reach the follower's feed.
    verbs = models.JSONField(default=list, blank=True)
    # Off: activities rolled up into the stream from related records (a client's briefs and
    # deals, see `StreamKind.rolled_up_kinds`) do not reach the follower; the stream's own do.
    include_related = models.BooleanField(default=True, db_default=True)
    # The newest activity id when the follow began. A merged stream is read, not copied, so
    # its follower's feed starts after this, as a copied stream's inbox would (0: everything).
    since_activity_id = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "stream"], name="follow_unique")]
        indexes = [models.Index(fields=["stream", "user"], name="follow_stream")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.stream}"


class InboxEntry(models.Model):
    """One activity in one user's news feed, written by fan-out.

    The feed is a range scan on (user, activity DESC); the entry's own id records arrival
    order, which websocket resume uses so late fan-outs are not skipped.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # No index of its own: the planner would walk it backwards across every user's rows for a
    # feed page (the plan guard in tests/activity/test_feed_plans.py caught it); (user, activity)
    # serves every read, and activities are never deleted.
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "activity"], name="inbox_unique")]
        indexes = [models.Index(fields=["user", "id"], name="inbox_arrival")]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.activity_id}"


class MergedStream(models.Model):
    """A stream with too many followers to copy into inboxes: news feeds merge it at read time.

    Promotion is one-way. Once a stream is merged its later activities have no inbox rows, so
    demoting it would drop them from its followers' feeds.
    """

    stream = models.CharField(max_length=100, unique=True)
    # The activity whose fan-out found the stream over the threshold (the last one copied).
    since_activity_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stream


class DeadLetter(models.Model):
    """Work that failed for good (a task out of retries, a webhook out of attempts), kept for replay.

    One row per piece of work (`key`): failing again after a replay updates it. Replaying enqueues
    `task` with `args` once (a conditional update on `replayed_at` claims it), and every task that
    can land here is idempotent, so replaying twice or replaying work that meanwhile succeeded
    changes nothing.
    """

    key = models.CharField(max_length=255, unique=True)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    last_failed_at = models.DateTimeField(default=timezone.now)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["last_failed_at"], condition=Q(replayed_at=None), name="dead_letter_waiting")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({'replayed' if self.replayed_at else 'waiting'})"
