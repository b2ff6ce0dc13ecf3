from django.db import models


class Verb(models.TextChoices):
    """Activity Streams 2.0 types feedhub emits itself. Integrations may add namespaced verbs."""

    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"
    ADD = "Add"
    REMOVE = "Remove"
    LIKE = "Like"
    FOLLOW = "Follow"
    ANNOUNCE = "Announce"
    JOIN = "Join"
    # Namespaced verbs of the social features.
    BEST_ANSWER = "question.best_answer"
    POLL_CLOSED = "poll.closed"


class Source(models.TextChoices):
    WEB = "web"
    API = "api"
    SYSTEM = "system"
