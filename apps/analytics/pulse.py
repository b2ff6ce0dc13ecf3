"""The weekly pulse: a manager's email about the records their direct reports own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from apps.accounts.models import User

from .models import PulseSent, PulseSubscription
from .records import RECORD_TYPES, ColdSpot, cold_records, team_member_ids, team_streams
from .selectors import Lens, Measures, Scope, SubjectRow, scope_measures, today, top_subjects

PULSE_DAYS = 7
PULSE_TOP = 5


@dataclass(frozen=True)
class Pulse:
    since: date
    until: date
    reports: list[str]
    totals: Measures
    top: list[SubjectRow]
    cold: list[ColdSpot]


def pulse_recipients() -> list[int]:
    """People who opted in and have at least one active direct report."""
    return sorted(
        PulseSubscription.objects.filter(enabled=True, user__is_active=True, user__reports__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", flat=True)
        .distinct()
    )


def pulse_build(*, manager: User, on: date) -> Pulse | None:
    """The pulse for the 7 days before `on`, seen through the manager's own visibility.

    None when the manager has no active direct reports."""
    members = team_member_ids(manager=manager)
    if not members:
        return None
    until = on - timedelta(days=1)
    scope = Scope(
        since=until - timedelta(days=PULSE_DAYS - 1),
        until=until,
        subject_types=RECORD_TYPES,
        subjects=team_streams(member_ids=members, types=RECORD_TYPES),
    )
    lens = Lens(viewer=manager)
    reports = sorted(User.objects.filter(pk__in=members).values_list("first_name", "last_name", "username"))
    return Pulse(
        since=scope.since,
        until=scope.until,
        reports=[f"{first} {last}".strip() or username for first, last, username in reports],
        totals=scope_measures(lens=lens, scope=scope),
        top=top_subjects(lens=lens, scope=scope, limit=PULSE_TOP),
        cold=cold_records(lens=lens, days=PULSE_DAYS * 2, on=until, limit=PULSE_TOP, owner_ids=members),
    )


def _absolute(path: str) -> str:
    return settings.FEEDHUB["BASE_URL"].rstrip("/") + path


def send_pulse(*, user_id: int, on: date | None = None) -> bool:
    """Email one manager's pulse for the week before `on` (default today); returns whether one went out.

    Sent at most once per week: the ledger row is written in the transaction that sends, so a
    retry after a failed send tries again and one after a sent email does nothing. Nothing is
    sent to someone who opted out, has no address or no team since the task was queued.
    """
    on = on or today()
    week = on - timedelta(days=on.weekday())
    manager = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if manager is None or not PulseSubscription.objects.filter(user=manager, enabled=True).exists():
        return False
    pulse = pulse_build(manager=manager, on=on)
    if pulse is None:
        return False
    context = {
        "pulse": pulse,
        "user": manager,
        "dashboard_url": _absolute(
            f"/analytics/?since={pulse.since}&until={pulse.until}&manager={manager.pk}"
        ),
        "base_url": _absolute(""),
    }
    try:
        with transaction.atomic():
            PulseSent.objects.create(user=manager, week=week)
            message = EmailMultiAlternatives(
                subject=(
                    f"Your team's pulse: {pulse.totals.activities} activities, "
                    f"{pulse.since:%d %b} to {pulse.until:%d %b}"
                ),
                body=render_to_string("analytics/email/pulse.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[manager.email],
            )
            message.attach_alternative(render_to_string("analytics/email/pulse.html", context), "text/html")
            message.send()
    except IntegrityError:
        return False
    return True
