"""Analytics tasks: thin, idempotent, acknowledged late."""

from celery import shared_task
from django.db import DatabaseError

from . import pulse, services

_RELIABLE = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 8,
}


@shared_task(queue="notifications", **_RELIABLE)
def rollup_recent_task() -> int:
    """Beat entry point (hourly): rebuild yesterday's and today's rollup rows."""
    return services.rollup_recent()


@shared_task(queue="email", acks_late=True)
def send_pulses_task() -> int:
    """Beat entry point (weekly): queue a pulse for each manager who opted in."""
    user_ids = pulse.pulse_recipients()
    for user_id in user_ids:
        send_pulse_task.delay(user_id)
    return len(user_ids)


@shared_task(queue="email", **_RELIABLE)
def send_pulse_task(user_id: int) -> bool:
    """Send one manager's weekly pulse, once per week."""
    return pulse.send_pulse(user_id=user_id)
