"""Per-person auto-follow rules: records I create or own, what I comment on, threads I am mentioned in."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from apps.accounts.models import User

from ..models import AutoFollowSettings

RULE_FIELDS = {"create": "on_create", "own": "on_own", "comment": "on_comment", "mention": "on_mention"}


def auto_followers(rule: str, user_ids: Collection[int]) -> set[int]:
    """The registry's auto-follow policy: everyone, except those who turned `rule` off (one query)."""
    off = AutoFollowSettings.objects.filter(user_id__in=list(user_ids), **{RULE_FIELDS[rule]: False})
    return set(user_ids) - set(off.values_list("user_id", flat=True))


def auto_follow_update(*, user: User, rules: Mapping[str, bool]) -> AutoFollowSettings:
    """Turn auto-follow rules on or off (`{"comment": False}`); rules not named keep their value."""
    fields = {RULE_FIELDS[rule]: bool(on) for rule, on in rules.items()}
    row, _ = AutoFollowSettings.objects.update_or_create(user=user, defaults=fields)
    return row
