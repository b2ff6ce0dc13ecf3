from django.conf import settings
from django.db import models

from .reasons import Channel, DigestFrequency, Reason


class Notification(models.Model):
    """One thing a person is told about, aggregated per (recipient, reason, target).

    While unread, further activities for the same reason and target update this row
    ("Dana and 3 others liked your post") instead of adding rows. `open_key` carries the
    aggregation key only while the row is open (unread); reading it sets it to NULL, which
    takes it out of the unique constraint so the next activity starts a fresh notification.
    """

    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    # Stream key of what the notification is about (`deal:42`, `post:7`).
    target = models.CharField(max_length=100)
    open_key = models.CharField(max_length=100, null=True, blank=True)
    # The most recent activity and actor; the activity id orders the inbox and is its cursor.
    activity = models.ForeignKey("activity.Activity", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_count = models.PositiveIntegerField(default=1)
    unread = models.BooleanField(default=True)
    # Waiting for the recipient's next email digest.
    digest_pending = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "reason", "open_key"], name="notification_open_unique"
            ),
            models.UniqueConstraint(fields=["recipient", "activity"], name="notification_activity_unique"),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "id"],
                condition=models.Q(digest_pending=True),
                name="notification_digest_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.reason} {self.target}"


class NotificationEvent(models.Model):
    """Ledger: this activity was applied to this person's notifications (once, even on retry).

    Also the set of distinct actors behind an aggregated notification.
    """

    id = models.BigAutoField(primary_key=True)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="events")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("activity.Activity", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "activity"], name="notification_event_unique")
        ]
        indexes = [models.Index(fields=["notification", "actor"], name="notification_event_actor")]

    def __str__(self) -> str:
        return f"{self.recipient_id} ← {self.activity_id}"


class UnreadCounter(models.Model):
    """Unread notifications per person, maintained with F() so reads never count rows."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    unread = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.unread}"


class NotificationPreference(models.Model):
    """A person's channel for one reason; no row means the reason's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "reason"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.reason} → {self.channel}"


class NotificationSettings(models.Model):
    """Per-person delivery settings: digest frequency and quiet hours (in `User.timezone`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    digest_frequency = models.CharField(
        max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.DAILY
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.digest_frequency}"


class NotificationMute(models.Model):
    """No notifications about this stream (a record, a post) for this person; the feed is unaffected."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "stream"], name="notification_mute_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.stream}"


class EmailSent(models.Model):
    """Ledger of instant emails, so a retried task does not email twice."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("activity.Activity", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "activity"], name="email_sent_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} ✉ {self.activity_id}"
