from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q


class Topic(models.Model):
    """A #topic: created the first time a post names it; followable as `topic:<slug>`."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.slug}"

    @property
    def stream_key(self) -> str:
        return f"topic:{self.slug}"


class Post(models.Model):
    """Something a person wrote on a feed (a record's, a person's, a topic's).

    Its `Create` activity carries it through fan-out; deleting leaves a tombstone row so
    comments and feed items keep pointing somewhere.
    """

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stream = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    activity = models.OneToOneField(
        "activity.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A question collects answers as comments; its asker (or staff) marks one the best.
    is_question = models.BooleanField(default=False)
    best_answer = models.ForeignKey(
        "Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["stream", "id"], name="post_stream"),
            # The same expression search uses, so PostgreSQL answers `?q=` from the index.
            GinIndex(SearchVector("body", config="english"), name="post_body_search"),
        ]

    def __str__(self) -> str:
        return f"post:{self.pk}"

    @property
    def stream_key(self) -> str:
        return f"post:{self.pk}"


class Comment(models.Model):
    """A reply to any activity: a post, or a tracked change to a record."""

    activity = models.ForeignKey("activity.Activity", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    like_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["activity", "id"], name="comment_thread"),
            GinIndex(SearchVector("body", config="english"), name="comment_body_search"),
        ]

    def __str__(self) -> str:
        return f"comment:{self.pk}"


class ActivityCounts(models.Model):
    """Denormalised counters per activity, kept with F() so feeds read them in one join."""

    activity = models.OneToOneField(
        "activity.Activity", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    comment_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.comment_count} comments, {self.like_count} likes"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("activity.Activity", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="like_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.activity_id}"


class CommentLike(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="comment_like_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ comment {self.comment_id}"


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("activity.Activity", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "activity"], name="bookmark_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} ⚑ {self.activity_id}"


class Group(models.Model):
    """People gathered around a subject; followable as `group:<id>`. Private groups show only to members."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_private = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def stream_key(self) -> str:
        return f"group:{self.pk}"


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Admin"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]
        indexes = [models.Index(fields=["user", "group"], name="membership_user")]

    def __str__(self) -> str:
        return f"{self.user_id} ∈ {self.group_id}"


class GroupJoinRequest(models.Model):
    """Someone asking to join a private group; an admin (or staff) approves or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=Q(status="pending"), name="join_request_pending_unique"
            )
        ]
        indexes = [models.Index(fields=["group", "status", "id"], name="join_request_group")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.group_id} ({self.status})"


class Poll(models.Model):
    """The choices attached to a post. Votes may change until the poll closes."""

    post = models.OneToOneField(Post, primary_key=True, on_delete=models.CASCADE, related_name="poll")
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    vote_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["closes_at"], condition=Q(closed_at__isnull=True), name="poll_due")]

    def __str__(self) -> str:
        return f"poll on post:{self.post_id}"


class PollChoice(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200)
    vote_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "position"], name="poll_choice_position")]

    def __str__(self) -> str:
        return self.label


class PollVote(models.Model):
    """One person's current vote in a poll (one row per person and poll)."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="+")
    choice = models.ForeignKey(PollChoice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="poll_vote_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} voted {self.choice_id}"


class AutoFollowSettings(models.Model):
    """Which things a person follows automatically; no row means every rule is on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    on_create = models.BooleanField(default=True, help_text="Records I create.")
    on_own = models.BooleanField(default=True, help_text="Records I own (when created or assigned).")
    on_comment = models.BooleanField(default=True, help_text="What I comment on.")
    on_mention = models.BooleanField(default=True, help_text="Threads I am mentioned in.")

    def __str__(self) -> str:
        return f"auto-follow of {self.user_id}"
