"""Dead letters: work that exhausted its retries, recorded so an operator can replay it.

Tasks opt in with `base=DeadLetterTask`; Celery calls `on_failure` only once retries are spent.
Other failures (a webhook delivery out of attempts) call `dead_letter_record` themselves.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import DeadLetter

ERROR_MAX_CHARS = 2000
KEY_MAX_CHARS = 255


def dead_letter_record(*, key: str, task: str, args: Sequence[Any], error: str) -> DeadLetter:
    """Record (or count again) a failed piece of work; a failure after a replay makes it waiting again."""
    letter, created = DeadLetter.objects.get_or_create(
        key=key, defaults={"task": task, "args": list(args), "error": error[:ERROR_MAX_CHARS]}
    )
    if not created:
        DeadLetter.objects.filter(pk=letter.pk).update(
            task=task,
            args=list(args),
            error=error[:ERROR_MAX_CHARS],
            failures=F("failures") + 1,
            last_failed_at=timezone.now(),
            replayed_at=None,
        )
        letter.refresh_from_db()
    return letter


def _enqueue(task: str, args: list[Any]) -> None:
    # By import path rather than the app's registry, which holds a task only once its module is imported.
    module, name = task.rsplit(".", 1)
    getattr(importlib.import_module(module), name).delay(*args)


def dead_letters_replay(*, ids: Iterable[int] | None = None) -> list[int]:
    """Enqueue the waiting dead letters (all, or these ids) again; returns the ids replayed.

    Idempotent: each letter is claimed by setting `replayed_at` where it is still null, so two
    operators (or a repeated command) enqueue it once; the tasks themselves deduplicate.
    """
    waiting = DeadLetter.objects.filter(replayed_at__isnull=True)
    if ids is not None:
        waiting = waiting.filter(pk__in=list(ids))
    replayed: list[int] = []
    with transaction.atomic():
        for letter in waiting.select_for_update(skip_locked=True).order_by("pk"):
            DeadLetter.objects.filter(pk=letter.pk).update(replayed_at=timezone.now())
            transaction.on_commit(partial(_enqueue, letter.task, letter.args))
            replayed.append(letter.pk)
    return replayed


class DeadLetterTask(DjangoTask):
    """A task whose final failure is kept as a dead letter (keyed by task name and arguments)."""

    def dead_letter_key(self, args: Sequence[Any]) -> str:
        key = f"{self.name}:{json.dumps(list(args), separators=(',', ':'), default=str)}"
        if len(key) <= KEY_MAX_CHARS:
            return key
        return f"{self.name}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"

    def dead_lettered(self, *args: Any) -> None:
        """Hook: what else to do once the work is parked (e.g. stop a sweeper retrying it)."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        dead_letter_record(
            key=self.dead_letter_key(args),
            task=self.name,
            args=list(args),
            error=f"{type(exc).__name__}: {exc}",
        )
        self.dead_lettered(*args)
