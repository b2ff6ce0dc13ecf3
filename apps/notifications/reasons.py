"""Why someone is told about an activity, and how they want to hear about it."""

from django.db import models


class Reason(models.TextChoices):
    RECORD_CHANGED = "record_changed", "A record I follow changed"
    ASSIGNED = "assigned", "I was made the owner of a record"
    MENTIONED = "mentioned", "Someone mentioned me"
    COMMENTED = "commented", "Someone replied to or commented on my post"
    LIKED = "liked", "Someone liked my post or comment"
    GROUP_ADDED = "group_added", "I was added to a group"
    JOIN_REQUESTED = "join_requested", "Someone asked to join a group I run"
    BEST_ANSWER = "best_answer", "My answer was chosen as the best answer"
    POLL_CLOSED = "poll_closed", "A poll I voted in closed"


class Channel(models.TextChoices):
    """Each level includes the in-app notification; `off` means none at all."""

    IN_APP = "in_app", "In the app only"
    INSTANT = "instant", "In the app and an email right away"
    DIGEST = "digest", "In the app and in my email digest"
    OFF = "off", "Not at all"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    NEVER = "never", "Never"


# Things aimed at me personally are worth an email; ambient record changes are not.
DEFAULT_CHANNELS: dict[str, str] = {
    Reason.RECORD_CHANGED: Channel.DIGEST,
    Reason.ASSIGNED: Channel.INSTANT,
    Reason.MENTIONED: Channel.INSTANT,
    Reason.COMMENTED: Channel.INSTANT,
    Reason.LIKED: Channel.IN_APP,
    Reason.GROUP_ADDED: Channel.INSTANT,
    Reason.JOIN_REQUESTED: Channel.INSTANT,
    Reason.BEST_ANSWER: Channel.INSTANT,
    Reason.POLL_CLOSED: Channel.IN_APP,
}

# When one activity gives a person several reasons, the most personal one wins.
REASON_PRIORITY: list[str] = [
    Reason.MENTIONED,
    Reason.ASSIGNED,
    Reason.BEST_ANSWER,
    Reason.COMMENTED,
    Reason.GROUP_ADDED,
    Reason.JOIN_REQUESTED,
    Reason.LIKED,
    Reason.POLL_CLOSED,
    Reason.RECORD_CHANGED,
]
