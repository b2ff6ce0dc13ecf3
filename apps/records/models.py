from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class TrackedRecord(models.Model):
    """A business record with a feed. Subclasses declare `stream_prefix` and `tracked_fields`.

    Saving through the records service diffs the tracked fields and emits one `Update`.
    """

    stream_prefix: str = ""
    tracked_fields: tuple[str, ...] = ()

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
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
