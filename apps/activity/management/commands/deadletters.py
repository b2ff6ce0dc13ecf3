"""`manage.py deadletters list` / `manage.py deadletters replay [--id N ...] [--all]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.activity.deadletters import dead_letters_replay
from apps.activity.models import DeadLetter


class Command(BaseCommand):
    help = "List or replay work that exhausted its retries (fan-outs, webhook deliveries)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="waiting dead letters (with --all, replayed ones too)")
        listing.add_argument("--all", action="store_true")
        replay = sub.add_parser("replay", help="enqueue dead letters again (each at most once)")
        replay.add_argument("--id", type=int, action="append", dest="ids")
        replay.add_argument("--all", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            letters = DeadLetter.objects.order_by("pk")
            if not options["all"]:
                letters = letters.filter(replayed_at__isnull=True)
            for letter in letters:
                state = f"replayed {letter.replayed_at:%Y-%m-%d %H:%M}" if letter.replayed_at else "waiting"
                self.stdout.write(
                    f"{letter.pk}\t{letter.key}\tfailures={letter.failures}\t{state}\t{letter.error[:120]}"
                )
            return
        if not options["ids"] and not options["all"]:
            raise CommandError("Name dead letters with --id, or replay every waiting one with --all.")
        replayed = dead_letters_replay(ids=None if options["all"] else options["ids"])
        self.stdout.write(f"replayed {len(replayed)}: {' '.join(map(str, replayed))}".rstrip(": "))
