"""Helpers that make activities the way the product does, and read notifications back."""

from apps.accounts.models import User
from apps.activity.models import Activity
from apps.activity.services import ObjectRef, activity_publish
from apps.notifications.models import Notification
from apps.records.models import Deal
from apps.records.services import record_update


def change_stage(deal: Deal, *, actor: User, stage: str) -> Activity:
    """Change a deal's stage through its service; returns the `Update` it emitted."""
    record_update(record=deal, actor=actor, data={"stage": stage})
    return Activity.objects.latest("pk")


def like(deal: Deal, *, actor: User) -> Activity:
    """A `Like` of a deal, as the social code will publish one."""
    return activity_publish(
        actor=actor,
        verb="Like",
        obj=ObjectRef(type="deal", id=str(deal.pk), name=deal.name),
        summary=f"{actor.display_name} liked {deal.name}",
    )


def notifications_of(user: User) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user).select_related("activity__actor", "actor").order_by("pk")
    )
