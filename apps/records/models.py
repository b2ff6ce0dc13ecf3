from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class Visibility(models.TextChoices):
    """Who may see a record (README, "Visibility"). Admins always may."""

    COMPANY = "company", "Everyone in the company"
    PRIVATE = "private", "Its owner and the people and groups it is shared with"
    # Briefs and deals only: whoever may see the client, plus the record's own owner and shares.
    INHERIT = "inherit", "Like its client"


class TrackedRecord(models.Model):
    """A business record with a feed. Subclasses declare `stream_prefix` and `tracked_fields`.

    Saving through the records service diffs the tracked fields and emits one `Update`.
    """

    stream_prefix: str = ""
    tracked_fields: tuple[str, ...] = ()

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Database defaults too, so set-based inserts (the benchmark dataset, imports) need not name it.
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.COMPANY, db_default=Visibility.COMPANY
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def stream_key(self) -> str:
        return f"{self.stream_prefix}:{self.pk}"

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def parent(self) -> "TrackedRecord | None":
        return None


class Client(TrackedRecord):
    stream_prefix = "client"
    tracked_fields = ("name", "industry", "owner", "tier")

    class Tier(models.TextChoices):
        KEY = "key", "Key account"
        STANDARD = "standard", "Standard"
        PROSPECT = "prospect", "Prospect"

    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    website = models.URLField(blank=True)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.visibility == Visibility.INHERIT:
            raise ValidationError({"visibility": "A client has no parent to inherit visibility from."})


class Brief(TrackedRecord):
    stream_prefix = "brief"
    tracked_fields = ("title", "status", "owner", "due_date", "revision")

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        IN_PRODUCTION = "in_production", "In production"
        DELIVERED = "delivered", "Delivered"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="briefs")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.INHERIT, db_default=Visibility.INHERIT
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    due_date = models.DateField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title

    @property
    def parent(self) -> Client:
        return self.client


class Deal(TrackedRecord):
    stream_prefix = "deal"
    tracked_fields = ("name", "stage", "amount", "close_date", "owner")

    class Stage(models.TextChoices):
        PROSPECTING = "prospecting", "Prospecting"
        QUALIFICATION = "qualification", "Qualification"
        PROPOSAL = "proposal", "Proposal"
        NEGOTIATION = "negotiation", "Negotiation"
        CLOSED_WON = "closed_won", "Closed won"
        CLOSED_LOST = "closed_lost", "Closed lost"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="deals")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.INHERIT, db_default=Visibility.INHERIT
    )
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.PROSPECTING)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    close_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def parent(self) -> Client:
        return self.client


class RecordShare(models.Model):
    """A private record shared with one person or one group (whose members see it while they belong)."""

    record_type = models.CharField(max_length=16)
    record_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        "social.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="record_share_one_grantee",
            ),
            models.UniqueConstraint(
                fields=["record_type", "record_id", "user"],
                condition=Q(user__isnull=False),
                name="record_share_user_unique",
            ),
            models.UniqueConstraint(
                fields=["record_type", "record_id", "group"],
                condition=Q(group__isnull=False),
                name="record_share_group_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "record_type", "record_id"], name="record_share_user"),
            models.Index(fields=["group", "record_type", "record_id"], name="record_share_group"),
            models.Index(fields=["record_type", "record_id"], name="record_share_record"),
        ]

    def __str__(self) -> str:
        grantee = f"user {self.user_id}" if self.user_id else f"group {self.group_id}"
        return f"{self.record_type}:{self.record_id} → {grantee}"
