"""`manage.py integration create|key|revoke|list|link`: manage integrations from the shell."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.integrations.models import ApiKey, IntegrationApp, Scope
from apps.integrations.services.keys import (
    api_key_create,
    api_key_revoke,
    external_object_link,
    integration_create,
)


class Command(BaseCommand):
    help = "Create integrations, issue and revoke their API keys, list them, link external objects."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register an integration.")
        create.add_argument("name")
        create.add_argument("--owner", required=True, help="Username of the owner.")
        key = sub.add_parser("key", help="Issue an API key (the secret is printed once).")
        key.add_argument("integration", help="Integration name or id.")
        key.add_argument("--name", default="default")
        key.add_argument("--scope", action="append", dest="scopes", choices=Scope.values, required=True)
        revoke = sub.add_parser("revoke", help="Revoke an API key by id or prefix.")
        revoke.add_argument("key")
        sub.add_parser("list", help="List integrations and their keys.")
        link = sub.add_parser("link", help="Map an external object id to a feedhub stream.")
        link.add_argument("integration")
        link.add_argument("external_id")
        link.add_argument("stream", help="e.g. deal:42")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _integration(self, ref: str) -> IntegrationApp:
        found = (
            IntegrationApp.objects.filter(pk=int(ref))
            if ref.isdigit()
            else IntegrationApp.objects.filter(name=ref)
        )
        integration = found.first()
        if integration is None:
            raise CommandError(f"No integration {ref!r}.")
        return integration

    def _create(self, options: dict[str, Any]) -> None:
        owner = User.objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"No user {options['owner']!r}.")
        integration = integration_create(name=options["name"], owner=owner)
        self.stdout.write(f"{integration.pk}\t{integration.name}")

    def _key(self, options: dict[str, Any]) -> None:
        issued = api_key_create(
            integration=self._integration(options["integration"]),
            name=options["name"],
            scopes=options["scopes"],
        )
        self.stdout.write(issued.secret)
        self.stderr.write(
            f"key {issued.key.pk} ({', '.join(issued.key.scopes)}); the secret is not shown again."
        )

    def _revoke(self, options: dict[str, Any]) -> None:
        ref = options["key"]
        key = (
            ApiKey.objects.filter(pk=int(ref)) if ref.isdigit() else ApiKey.objects.filter(prefix=ref)
        ).first()
        if key is None:
            raise CommandError(f"No API key {ref!r}.")
        api_key_revoke(key=key)
        self.stdout.write(f"revoked {key.pk}\t{key.prefix}…")

    def _list(self, options: dict[str, Any]) -> None:
        for integration in (
            IntegrationApp.objects.select_related("owner").prefetch_related("keys").order_by("pk")
        ):
            self.stdout.write(f"{integration.pk}\t{integration.name}\towner={integration.owner.username}")
            for key in integration.keys.all():
                state = "revoked" if key.revoked_at else "live"
                used = key.last_used_at.isoformat() if key.last_used_at else "never"
                scopes = ",".join(key.scopes)
                self.stdout.write(
                    f"  key {key.pk}\t{key.prefix}…\t{key.name}\t{scopes}\t{state}\tlast used {used}"
                )

    def _link(self, options: dict[str, Any]) -> None:
        link = external_object_link(
            integration=self._integration(options["integration"]),
            external_id=options["external_id"],
            stream=options["stream"],
        )
        self.stdout.write(f"{link.external_id} → {link.stream}")
