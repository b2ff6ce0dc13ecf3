"""The Celery application: named queues so one kind of work cannot starve another."""

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedhub.settings")

app = Celery("feedhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("fanout", "notifications", "email", "webhooks")]
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """Workers log through settings.LOGGING (LOG_FORMAT), not Celery's own format."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _task_context(task_id: str | None = None, **kwargs: Any) -> None:
    from feedhub.logs import task_id_var

    task_id_var.set(task_id)


@task_postrun.connect
def _task_context_end(**kwargs: Any) -> None:
    from feedhub.logs import task_id_var, user_id_var

    task_id_var.set(None)
    user_id_var.set(None)
