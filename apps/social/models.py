from django.conf import settings
from django.db import models


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

    class Meta:
        indexes = [models.Index(fields=["stream", "id"], name="post_stream")]

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
        indexes = [models.Index(fields=["activity", "id"], name="comment_thread")]

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
