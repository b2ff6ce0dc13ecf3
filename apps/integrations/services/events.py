"""Event ingestion: AS2 activities from integrations become feedhub activities, exactly once per key."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import User
from apps.activity import registry
from apps.activity.models import Activity
from apps.activity.services import ObjectRef, PublishSpec, activity_publish_many
from apps.activity.verbs import Source
from apps.records.kinds import RECORD_MODELS

from ..as2 import InvalidActivityError, ParsedActivity, Ref, parse_activity
from ..models import ApiKey, ExternalObject, IdempotencyRecord, IntegrationApp
from ..presenters import activity_to_as2

logger = logging.getLogger(__name__)

EXTERNAL_KIND = "ext"
KEY_REUSED_DETAIL = "This Idempotency-Key was already used with a different request body."
# Activity.object_id holds "<integration id>:<external id>" for unmapped external objects.
_OBJECT_ID_MAX = 64


@dataclass(frozen=True)
class EventOutcome:
    """What one submitted activity came to: a created or replayed activity, or errors by JSON path."""

    status: int
    body: dict[str, Any] | None = None
    errors: dict[str, list[str]] | None = None
    error_code: str = ""
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.errors is None and not self.error_code


def request_hash(data: Any) -> str:
    """A fingerprint of a parsed JSON body, insensitive to key order and whitespace."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def external_stream(integration: IntegrationApp, external_id: str) -> str:
    return f"{EXTERNAL_KIND}:{integration.pk}:{external_id}"


@dataclass
class _Resolver:
    """Looks up, in one query per kind, every user, record and external object a set of activities names."""

    integration: IntegrationApp
    users_by_id: dict[int, User] = field(default_factory=dict)
    users_by_email: dict[str, User] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    links: dict[str, ExternalObject] = field(default_factory=dict)

    def load(self, parsed: Sequence[ParsedActivity]) -> None:
        refs = [r for p in parsed for r in (p.object, p.target, *p.audience) if r is not None]
        external = {r.external_id for r in refs if not r.is_feedhub}
        if external:
            self.links = {
                link.external_id: link
                for link in ExternalObject.objects.filter(
                    integration=self.integration, external_id__in=external
                )
            }
        streams = [(r.kind, r.id) for r in refs if r.is_feedhub]
        streams += [registry.split_stream(link.stream) for link in self.links.values()]
        user_ids = {p.actor.user_id for p in parsed if p.actor.user_id is not None}
        user_ids |= {int(oid) for kind, oid in streams if kind == "user" and oid.isdigit()}
        emails = {p.actor.email.lower() for p in parsed if p.actor.email}
        if user_ids:
            self.users_by_id = {u.pk: u for u in User.objects.filter(pk__in=user_ids, is_active=True)}
        if emails:
            matches = (
                User.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails, is_active=True)
                .order_by("pk")
            )
            for user in matches:
                self.users_by_email.setdefault(user.email_lower, user)
        for user in self.users_by_id.values():
            self.names[user.stream_key] = user.display_name
        wanted: dict[str, set[int]] = {}
        for kind, oid in streams:
            if kind in RECORD_MODELS and oid.isdigit():
                wanted.setdefault(kind, set()).add(int(oid))
        for kind, ids in wanted.items():
            for pk, record in RECORD_MODELS[kind].objects.in_bulk(ids).items():
                self.names[f"{kind}:{pk}"] = record.display_name

    def actor(self, parsed: ParsedActivity) -> tuple[User | None, dict[str, list[str]]]:
        if parsed.actor.user_id is not None:
            user = self.users_by_id.get(parsed.actor.user_id)
            if user is None:
                return None, {"actor.id": [f"No active feedhub user {parsed.actor.user_id}."]}
            return user, {}
        if parsed.actor.email:
            return self.users_by_email.get(parsed.actor.email.lower()), {}
        return None, {}

    def ref(self, ref: Ref) -> tuple[ObjectRef | None, list[str], dict[str, list[str]]]:
        """The object, any extra streams it brings, and errors."""
        if ref.is_feedhub:
            stream = f"{ref.kind}:{ref.id}"
            if registry.kind_for(ref.kind) is None:
                return None, [], {f"{ref.path}.id": [f"Unknown kind {ref.kind!r}."]}
            if (ref.kind in RECORD_MODELS or ref.kind == "user") and stream not in self.names:
                return None, [], {f"{ref.path}.id": [f"No {ref.kind} with id {ref.id}."]}
            return ObjectRef(type=ref.kind, id=ref.id, name=self.names.get(stream, ref.name)), [], {}
        own_stream = external_stream(self.integration, ref.external_id)
        link = self.links.get(ref.external_id)
        if link is not None:
            kind, object_id = registry.split_stream(link.stream)
            name = link.name or self.names.get(link.stream, "") or ref.name
            return ObjectRef(type=kind, id=object_id, name=name), [own_stream], {}
        object_id = own_stream.removeprefix(f"{EXTERNAL_KIND}:")
        if len(object_id) > _OBJECT_ID_MAX:
            limit = _OBJECT_ID_MAX - len(f"{self.integration.pk}:")
            return None, [], {f"{ref.path}.id": [f"An unmapped external id has at most {limit} characters."]}
        return ObjectRef(type=EXTERNAL_KIND, id=object_id, name=ref.name or ref.external_id), [], {}


@dataclass(frozen=True)
class _Prepared:
    parsed: ParsedActivity
    actor: User | None
    obj: ObjectRef
    target: ObjectRef | None
    streams: list[str]


def _prepare(resolver: _Resolver, parsed: ParsedActivity) -> _Prepared | dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    actor, actor_errors = resolver.actor(parsed)
    errors.update(actor_errors)
    obj, streams, obj_errors = resolver.ref(parsed.object)
    errors.update(obj_errors)
    target = None
    if parsed.target is not None:
        target, target_streams, target_errors = resolver.ref(parsed.target)
        streams += target_streams
        errors.update(target_errors)
    for ref in parsed.audience:
        audience, _, audience_errors = resolver.ref(ref)
        errors.update(audience_errors)
        if audience is not None:
            streams.append(f"{audience.type}:{audience.id}")
    if errors or obj is None:
        return errors
    return _Prepared(parsed=parsed, actor=actor, obj=obj, target=target, streams=streams)


def _spec(integration: IntegrationApp, prepared: _Prepared, key: str | None) -> PublishSpec:
    parsed = prepared.parsed
    payload: dict[str, Any] = {"as2": {"extras": parsed.extras, "actor": parsed.actor.raw}}
    if parsed.as2_id:
        payload["as2"]["extras"]["feedhub:externalId"] = parsed.as2_id
    if parsed.content is not None:
        payload["content"] = parsed.content
    return PublishSpec(
        actor=prepared.actor,
        verb=parsed.verb,
        obj=prepared.obj,
        target=prepared.target,
        summary=parsed.summary,
        changes=parsed.changes,
        streams=prepared.streams,
        payload=payload,
        source=Source.API,
        source_client=str(integration.pk),
        idempotency_key=key,
        published=parsed.published,
    )


def _publish(integration: IntegrationApp, prepared: _Prepared, key: str | None) -> Activity:
    return activity_publish_many(specs=[_spec(integration, prepared, key)])[0]


def _replay(integration: IntegrationApp, key: str, digest: str) -> EventOutcome | None:
    record = IdempotencyRecord.objects.filter(integration=integration, key=key).first()
    activity = None
    if record is None:
        activity = (
            Activity.objects.select_related("actor")
            .filter(source_client=str(integration.pk), idempotency_key=key)
            .first()
        )
        if activity is not None:
            # The record commits with its activity: a twin that committed between the two reads
            # above left the record behind us, so read it again before falling back.
            record = IdempotencyRecord.objects.filter(integration=integration, key=key).first()
    if record is not None:
        if record.request_hash != digest:
            return EventOutcome(status=422, error_code="idempotency_key_reused")
        return EventOutcome(status=record.status_code, body=record.response, replayed=True)
    if activity is not None:
        # The key's record was purged, but the activity itself still carries the key.
        return EventOutcome(status=200, body=activity_to_as2(activity, integration), replayed=True)
    return None


def _ingest_one(
    integration: IntegrationApp, prepared: _Prepared, key: str | None, digest: str
) -> EventOutcome:
    if key is None:
        activity = _publish(integration, prepared, None)
        return EventOutcome(status=201, body=activity_to_as2(activity, integration))
    try:
        # The insert, not a lookup, decides the winner: a concurrent twin blocks on the activity's
        # unique (source_client, idempotency_key) index until the first commits, then fails here
        # and replays the response the first stored in the same transaction.
        with transaction.atomic():
            activity = _publish(integration, prepared, key)
            record = IdempotencyRecord.objects.create(
                integration=integration,
                key=key,
                request_hash=digest,
                status_code=201,
                response=activity_to_as2(activity, integration),
            )
    except IntegrityError:
        outcome = _replay(integration, key, digest)
        if outcome is None:
            raise
        return outcome
    return EventOutcome(status=201, body=record.response)


def _key_for(data: Any, header_key: str | None) -> str | None:
    if header_key:
        return header_key
    as2_id = data.get("id") if isinstance(data, dict) else None
    return as2_id if isinstance(as2_id, str) and as2_id else None


def event_ingest(*, api_key: ApiKey, data: Any, idempotency_key: str | None = None) -> EventOutcome:
    """Publish one AS2 activity for the key's integration.

    The idempotency key is the `Idempotency-Key` header, else the activity's AS2 `id`. A retry
    with the same key and body replays the first response; with another body it is a 422.
    Invalid input is a 400 outcome with errors by JSON path and is not remembered under the key.
    """
    integration = api_key.integration
    key = _key_for(data, idempotency_key)
    digest = request_hash(data)
    if key is not None:
        replay = _replay(integration, key, digest)
        if replay is not None:
            return replay
    try:
        parsed = parse_activity(data)
    except InvalidActivityError as exc:
        return EventOutcome(status=400, errors=exc.fields)
    resolver = _Resolver(integration)
    resolver.load([parsed])
    prepared = _prepare(resolver, parsed)
    if isinstance(prepared, dict):
        return EventOutcome(status=400, errors=prepared)
    return _ingest_one(integration, prepared, key, digest)


@dataclass(frozen=True)
class _Pending:
    index: int
    prepared: _Prepared
    key: str | None
    digest: str


@dataclass(frozen=True)
class _Known:
    """A key already used: its first response, and its body's hash (empty once the record is purged)."""

    status: int
    body: dict[str, Any]
    request_hash: str = ""

    def replay_for(self, digest: str) -> EventOutcome:
        if self.request_hash and self.request_hash != digest:
            return EventOutcome(status=422, error_code="idempotency_key_reused")
        return EventOutcome(status=self.status, body=self.body, replayed=True)


def _known_keys(integration: IntegrationApp, keys: set[str]) -> dict[str, _Known]:
    """Keys already used, in two queries (stored responses, then the activities of purged ones)."""
    if not keys:
        return {}
    known = {
        record.key: _Known(record.status_code, record.response, record.request_hash)
        for record in IdempotencyRecord.objects.filter(integration=integration, key__in=keys)
    }
    purged = keys - set(known)
    if purged:
        for activity in Activity.objects.select_related("actor").filter(
            source_client=str(integration.pk), idempotency_key__in=purged
        ):
            known[activity.idempotency_key or ""] = _Known(200, activity_to_as2(activity, integration))
    return known


def _insert_all(integration: IntegrationApp, pending: list[_Pending]) -> dict[int, EventOutcome]:
    """One INSERT of the activities, one of their streams, one of the keys' stored responses."""
    activities = activity_publish_many(specs=[_spec(integration, p.prepared, p.key) for p in pending])
    outcomes: dict[int, EventOutcome] = {}
    records = []
    for item, activity in zip(pending, activities, strict=True):
        body = activity_to_as2(activity, integration)
        outcomes[item.index] = EventOutcome(status=201, body=body)
        if item.key is not None:
            records.append(
                IdempotencyRecord(
                    integration=integration,
                    key=item.key,
                    request_hash=item.digest,
                    status_code=201,
                    response=body,
                )
            )
    IdempotencyRecord.objects.bulk_create(records)
    return outcomes


def event_ingest_batch(*, api_key: ApiKey, items: Sequence[Any]) -> list[EventOutcome]:
    """Publish many AS2 activities; one outcome per item, in order. A bad item sinks no other.

    Set-based: references are resolved in one query per kind, known keys in one or two, and the
    new activities, their streams and their keys' stored responses are one INSERT each, in one
    transaction (fan-out is scheduled per activity after it). Each item's AS2 `id` is its
    idempotency key; a key repeated inside the batch replays its first item. If a concurrent
    request takes a key between the lookup and the insert, the batch falls back to item-by-item
    writes, each in its own savepoint, where the unique index decides.
    """
    integration = api_key.integration
    outcomes: list[EventOutcome | None] = [None] * len(items)
    parsed: dict[int, ParsedActivity] = {}
    for index, data in enumerate(items):
        try:
            parsed[index] = parse_activity(data)
        except InvalidActivityError as exc:
            outcomes[index] = EventOutcome(status=400, errors=exc.fields)
    resolver = _Resolver(integration)
    resolver.load(list(parsed.values()))
    pending: list[_Pending] = []
    for index, item in parsed.items():
        prepared = _prepare(resolver, item)
        if isinstance(prepared, dict):
            outcomes[index] = EventOutcome(status=400, errors=prepared)
        else:
            pending.append(_Pending(index, prepared, item.as2_id, request_hash(items[index])))
    with transaction.atomic():
        known = _known_keys(integration, {p.key for p in pending if p.key is not None})
        first_with_key: dict[str, _Pending] = {}
        new: list[_Pending] = []
        repeats: list[_Pending] = []
        for item in pending:
            if item.key is not None and item.key in known:
                outcomes[item.index] = known[item.key].replay_for(item.digest)
            elif item.key is not None and item.key in first_with_key:
                repeats.append(item)
            else:
                if item.key is not None:
                    first_with_key[item.key] = item
                new.append(item)
        try:
            with transaction.atomic():
                written = _insert_all(integration, new)
        except IntegrityError:
            written = {
                item.index: _ingest_one(integration, item.prepared, item.key, item.digest) for item in new
            }
        for index, outcome in written.items():
            outcomes[index] = outcome
        for item in repeats:
            first = first_with_key[item.key or ""]
            if first.digest != item.digest:
                outcomes[item.index] = EventOutcome(status=422, error_code="idempotency_key_reused")
            else:
                original = written[first.index]
                outcomes[item.index] = (
                    EventOutcome(status=original.status, body=original.body, replayed=True)
                    if original.ok
                    else original
                )
    return [o for o in outcomes if o is not None]


# Batch-level keys share the idempotency table with single events, in their own namespace.
BATCH_KEY_PREFIX = "batch:"


@dataclass(frozen=True)
class BatchOutcome:
    """A whole batch's answer: the results collection, or a refused (reused) Idempotency-Key."""

    status: int
    body: dict[str, Any] | None = None
    error_code: str = ""
    replayed: bool = False


def _batch_body(outcomes: Sequence[EventOutcome]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for index, outcome in enumerate(outcomes):
        item: dict[str, Any] = {"index": index, "status": outcome.status}
        if outcome.errors is not None:
            item.update(error="validation_error", detail="Invalid input.", fields=outcome.errors)
        elif outcome.error_code:
            item.update(error=outcome.error_code, detail=KEY_REUSED_DETAIL)
        else:
            item.update(replayed=outcome.replayed, activity=outcome.body or {})
        results.append(item)
    return {
        "type": "OrderedCollection",
        "totalItems": len(results),
        "succeeded": sum(1 for o in outcomes if o.ok),
        "failed": sum(1 for o in outcomes if not o.ok),
        "results": results,
    }


def _batch_replay(integration: IntegrationApp, key: str, digest: str) -> BatchOutcome | None:
    record = IdempotencyRecord.objects.filter(integration=integration, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        return BatchOutcome(status=422, error_code="idempotency_key_reused")
    return BatchOutcome(status=record.status_code, body=record.response, replayed=True)


def event_batch_ingest(
    *, api_key: ApiKey, items: Sequence[Any], idempotency_key: str | None = None, request_digest: str = ""
) -> BatchOutcome:
    """Ingest a batch (see `event_ingest_batch`) and build its results collection.

    With a batch-level `Idempotency-Key` the whole response is remembered: the same key and body
    replay it, creating nothing; the same key with another body is a 422. The key's row is inserted
    first, in the batch's transaction, so a concurrent twin waits on its unique index until this
    batch commits, then replays it.
    """
    if idempotency_key is None:
        return BatchOutcome(status=200, body=_batch_body(event_ingest_batch(api_key=api_key, items=items)))
    integration = api_key.integration
    key = f"{BATCH_KEY_PREFIX}{idempotency_key}"
    replay = _batch_replay(integration, key, request_digest)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                integration=integration, key=key, request_hash=request_digest, status_code=200, response={}
            )
            body = _batch_body(event_ingest_batch(api_key=api_key, items=items))
            IdempotencyRecord.objects.filter(pk=record.pk).update(response=body)
    except IntegrityError:
        replay = _batch_replay(integration, key, request_digest)
        if replay is None:
            raise
        return replay
    return BatchOutcome(status=200, body=body)


def idempotency_records_purge(*, older_than_hours: int) -> int:
    """Forget idempotency keys older than the retention; returns how many were deleted."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
