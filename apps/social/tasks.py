"""Social tasks: thin and idempotent. Closing polls runs on the `notifications` queue."""

from celery import shared_task

from .services import live, polls


@shared_task(queue="notifications", acks_late=True)
def close_due_polls_task() -> int:
    """Beat entry point (every minute): close polls whose time is up and tell their voters."""
    return polls.polls_close_due()


@shared_task(queue="notifications", acks_late=True)
def push_poll_task(post_id: int) -> None:
    """Push a poll's tallies to the connections watching it; a hint, so not retried."""
    polls.poll_push(post_id=post_id)


@shared_task(queue="notifications", acks_late=True)
def push_likes_task(activity_id: int, comment_id: int | None = None) -> None:
    """Push a like count to the pages watching the liked item; a hint, so not retried."""
    live.likes_push(activity_id=activity_id, comment_id=comment_id)
