"""Fan-out tasks: thin, idempotent, acknowledged late."""

from celery import shared_task
from django.db import DatabaseError

from . import services
from .deadletters import DeadLetterTask
from .models import Activity


class FanoutTask(DeadLetterTask):
    def dead_lettered(self, activity_id: int) -> None:
        # Parked: the outbox sweeper leaves it alone (no due time) until a replay runs it again.
        Activity.objects.filter(pk=activity_id, fanout_pending=True).update(fanout_due_at=None)


@shared_task(
    base=FanoutTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def fanout_activity_task(activity_id: int) -> int:
    """Fan one activity out to its recipients' inboxes and live connections."""
    return services.activity_fanout(activity_id=activity_id).recipients


@shared_task(acks_late=True)
def sweep_outbox_task() -> int:
    """Re-enqueue activities whose fan-out was never done (e.g. the broker was down at commit)."""
    ids = services.outbox_claim_due()
    for activity_id in ids:
        fanout_activity_task.delay(activity_id)
    return len(ids)
