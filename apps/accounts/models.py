from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """An employee. Profile fields live here: every feed item shows them."""

    title = models.CharField(max_length=120, blank=True)
    department = models.CharField(max_length=120, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    about = models.TextField(blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def stream_key(self) -> str:
        return f"user:{self.pk}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="First characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
