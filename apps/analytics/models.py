from django.conf import settings
from django.db import models


class DailyRollup(models.Model):
    """What happened to one subject on one UTC day, within one visibility context.

    `subject` is the stream measured (`deal:42`, `user:3`, `group:5`, `topic:pricing`). The
    `context` (and `context2`, for activities whose object and target are checked separately,
    such as a share into a group) are the streams whose visibility governs the facts: a post in
    private group 5 is counted for `user:3` under context `group:5`, so a reader who may not see
    the group does not count it. Rows are rebuilt a whole day at a time by the rollup service.
    """

    day = models.DateField()
    subject = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=32)
    context = models.CharField(max_length=100)
    context2 = models.CharField(max_length=100, blank=True, default="")
    activities = models.PositiveIntegerField(default=0)
    posts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    followers_gained = models.PositiveIntegerField(default=0)
    followers_lost = models.PositiveIntegerField(default=0)
    # Distinct people who acted (wrote, commented, changed, liked) that day: unions over days
    # give exact unique participants for any period.
    participants = models.JSONField(default=list, blank=True)
    # Seconds from a post to its first reply by someone else, for first replies made that day.
    response_seconds = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "subject", "context", "context2"], name="analytics_rollup_unique"
            )
        ]
        indexes = [
            # Covering: a period's contexts are read from the company-wide subject's rows alone.
            models.Index(
                fields=["subject", "day"], include=["context", "context2"], name="analytics_rollup_subject"
            ),
            models.Index(fields=["subject_type", "day"], name="analytics_rollup_type"),
            models.Index(fields=["context", "day"], name="analytics_rollup_context"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.subject} [{self.context}]"


class RecordState(models.Model):
    """Per deal and brief: the last day with activity and the follower count, for cold spots.

    Rebuilt after each rollup, so finding the coldest records is an index scan instead of
    checking the rollup and the follows of every open record.
    """

    subject = models.CharField(max_length=100, primary_key=True)
    subject_type = models.CharField(max_length=32)
    record_id = models.BigIntegerField()
    last_active = models.DateField(null=True, blank=True)
    followers = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["subject_type", "last_active", "subject"], name="analytics_state_cold")
        ]

    def __str__(self) -> str:
        return f"{self.subject}: last active {self.last_active}, {self.followers} followers"


class FollowEnded(models.Model):
    """A deleted follow, kept so followers lost (and gained, then lost) stay countable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stream = models.CharField(max_length=100)
    followed_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["ended_at"], name="analytics_unfollow_ended"),
            models.Index(fields=["followed_at"], name="analytics_unfollow_started"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ↛ {self.stream}"


class PulseSubscription(models.Model):
    """A manager's opt-in to the weekly pulse email about their team's records."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"pulse for {self.user_id} ({'on' if self.enabled else 'off'})"


class PulseSent(models.Model):
    """One pulse per person per week; written in the sending transaction so a retry sends nothing twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="Monday of the week the pulse covers up to.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="analytics_pulse_once")]

    def __str__(self) -> str:
        return f"pulse {self.week} → {self.user_id}"
