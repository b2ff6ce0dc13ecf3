"""Notification emails: instant and digest, HTML and plain text, with signed unsubscribe links."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity

from .models import EmailSent, Notification, NotificationEvent, NotificationMute, NotificationSettings
from .presenters import notification_title
from .reasons import Channel, DigestFrequency, Reason
from .selectors import preferences_get

_UNSUBSCRIBE_SALT = "feedhub.notifications.unsubscribe"
DIGEST_MAX_ITEMS = 50


@dataclass(frozen=True)
class Unsubscribe:
    """What a signed link turns off: one reason's emails, or every notification about one stream."""

    user_id: int
    reason: str | None = None
    stream: str | None = None


def unsubscribe_token(unsubscribe: Unsubscribe) -> str:
    payload = {"u": unsubscribe.user_id, "r": unsubscribe.reason, "s": unsubscribe.stream}
    return signing.TimestampSigner(salt=_UNSUBSCRIBE_SALT).sign_object(payload, compress=True)


def unsubscribe_read(token: str) -> Unsubscribe:
    """Verify a link's token. Raises `signing.BadSignature` (tampered) or `SignatureExpired`."""
    max_age = timedelta(days=settings.FEEDHUB["UNSUBSCRIBE_MAX_AGE_DAYS"])
    payload = signing.TimestampSigner(salt=_UNSUBSCRIBE_SALT).unsign_object(token, max_age=max_age)
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise signing.BadSignature("Malformed unsubscribe payload.")
    return Unsubscribe(user_id=payload["u"], reason=payload.get("r"), stream=payload.get("s"))


def _absolute(path: str) -> str:
    return settings.FEEDHUB["BASE_URL"].rstrip("/") + path


def _unsubscribe_url(unsubscribe: Unsubscribe) -> str:
    return _absolute(f"/notifications/unsubscribe/{unsubscribe_token(unsubscribe)}/")


def _send(*, user: User, subject: str, template: str, context: dict[str, Any], unsubscribe_url: str) -> None:
    context = {**context, "user": user, "unsubscribe_url": unsubscribe_url, "base_url": _absolute("/")}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            # RFC 8058 one-click: mail clients POST to the link, no cookie or form needed.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    message.send()


def _item(notification: Notification) -> dict[str, Any]:
    activity = notification.activity
    return {
        "title": notification_title(notification),
        "actor": activity.actor.display_name if activity.actor else "feedhub",
        "changes": activity.changes,
        "content": activity.payload.get("content"),
        "url": _absolute(registry.stream_url(notification.target) or "/"),
        "mute_url": _unsubscribe_url(
            Unsubscribe(user_id=notification.recipient_id, stream=notification.target)
        ),
    }


def send_instant_email(*, user_id: int, activity_id: int) -> bool:
    """Email one notification now, if it is still wanted; returns whether an email went out.

    Re-checks at send time what may have changed since the notification was made: the person
    is active with an address, may still see the activity, has not read it, still wants this
    reason instantly and has not muted the record. The ledger row is written in the same
    transaction as the send, so a retry after a failed send tries again and a retry after a
    sent one does nothing.
    """
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    activity = Activity.objects.select_related("actor").filter(pk=activity_id).first()
    if user is None or activity is None or not registry.users_who_can_see(activity, [user.pk]):
        return False
    event = (
        NotificationEvent.objects.select_related("notification__activity__actor", "notification__actor")
        .filter(recipient=user, activity=activity)
        .first()
    )
    if event is None or not event.notification.unread:
        return False
    notification = event.notification
    prefs = preferences_get(user=user)
    if prefs.channels.get(notification.reason) != Channel.INSTANT:
        return False
    if NotificationMute.objects.filter(user=user, stream=notification.target).exists():
        return False
    with transaction.atomic():
        _, created = EmailSent.objects.get_or_create(user=user, activity=activity)
        if not created:
            return False
        item = _item(notification)
        _send(
            user=user,
            subject=item["title"],
            template="instant",
            context={"item": item, "reason_label": Reason(notification.reason).label},
            unsubscribe_url=_unsubscribe_url(Unsubscribe(user_id=user.pk, reason=notification.reason)),
        )
    return True


def _local(now: datetime, tz_name: str) -> datetime:
    try:
        return now.astimezone(zoneinfo.ZoneInfo(tz_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return now.astimezone(UTC)


def digest_recipients(*, now: datetime) -> list[int]:
    """People with digest items waiting whose digest is due in the hour `now` falls in, in their time zone.

    Daily digests go out at `DIGEST_HOUR` local time, weekly ones at that hour on Mondays; no settings
    row means daily. Beat runs this hourly, so every zone gets its digest at its own morning.
    """
    hour = settings.FEEDHUB["DIGEST_HOUR"]
    waiting = dict(
        Notification.objects.filter(digest_pending=True)
        .values_list("recipient_id", "recipient__timezone")
        .distinct()
    )
    chosen = dict(
        NotificationSettings.objects.filter(user_id__in=list(waiting)).values_list(
            "user_id", "digest_frequency"
        )
    )
    due = []
    for user_id, tz_name in waiting.items():
        local = _local(now, tz_name)
        frequency = chosen.get(user_id, DigestFrequency.DAILY)
        if local.hour != hour or frequency == DigestFrequency.NEVER:
            continue
        if frequency == DigestFrequency.WEEKLY and local.weekday() != 0:
            continue
        due.append(user_id)
    return sorted(due)


def send_digest(*, user_id: int) -> int:
    """Email the person's waiting digest items that they may still see; returns how many were sent.

    Items are taken off the digest whether or not they could be shown, so a lost access does
    not keep them waiting forever.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(of=("self",), no_key=True)
            .select_related("activity__actor", "actor")
            .filter(recipient_id=user_id, digest_pending=True)
            .order_by("-activity_id")[:DIGEST_MAX_ITEMS]
        )
        if not pending:
            return 0
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(digest_pending=False)
        if user is None or not user.email:
            return 0
        visible = {a.pk for a in registry.visible_activities(user, [n.activity for n in pending])}
        items = [_item(n) for n in pending if n.activity_id in visible]
        if items:
            frequency = preferences_get(user=user).digest_frequency
            _send(
                user=user,
                subject=f"Your feedhub digest: {len(items)} update{'s' if len(items) != 1 else ''}",
                template="digest",
                context={"items": items, "frequency": frequency},
                unsubscribe_url=_unsubscribe_url(Unsubscribe(user_id=user.pk, reason="digest")),
            )
        NotificationSettings.objects.update_or_create(user=user, defaults={"last_digest_at": timezone.now()})
    return len(items)
