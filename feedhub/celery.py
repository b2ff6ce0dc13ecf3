"""The Celery application: named queues so one kind of work cannot starve another."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "feedhub.settings")

app = Celery("feedhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("fanout", "notifications", "email", "webhooks")]
app.autodiscover_tasks()
