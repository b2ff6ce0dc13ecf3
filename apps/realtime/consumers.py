"""The feed websocket: live items for the signed-in user, with resume by cursor."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.activity import registry, selectors
from apps.activity.presenters import activity_to_dict

from .protocol import ActivityEnvelope, stream_group, user_group

# Close codes in the 4000 range mirror HTTP: 4401 unauthenticated, 4400 bad request.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4400
CLOSE_SLOW_CONSUMER = 4408
_SEEN_LIMIT = 2000
_MAX_SUBSCRIPTIONS = 50
_DRAIN_BATCH = 200


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """`ws/feed/`: joins `user.<id>`, replays from `?since=<cursor>`, then streams live.

    Live messages that arrive during the replay wait in the channel layer until `connect`
    returns; the consumer remembers what it sent, so nothing is sent twice.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.sent: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.streams: set[str] = set()
        self.unacked = 0
        self.closing = False
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        since_raw = query.get("since", [None])[0]
        if since_raw is not None and not since_raw.isdigit():
            await self.accept()
            await self.send_json(
                {"type": "error", "error": "bad_cursor", "detail": "since must be an integer"}
            )
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        await self.accept()
        since = int(since_raw) if since_raw is not None else None
        self.position = await database_sync_to_async(selectors.inbox_anchor)(user=user, cursor=since)
        replayed = 0
        if since is not None:
            replayed = await self._drain_news(limit=settings.FEEDHUB["REPLAY_LIMIT"])
            if replayed < 0:
                return
        cursor = await database_sync_to_async(selectors.inbox_cursor_at)(user=user, position=self.position)
        await self.send_json({"type": "ready", "cursor": cursor, "replayed": replayed})

    async def _drain_news(self, limit: int | None = None) -> int:
        """Send what reached the inbox since the last item sent, from the database.

        Live pushes only say "look now": delivering from the inbox in arrival order means a
        push lost on the way (a worker killed after commit, a Redis blip) is made up by the
        next one. Returns the number sent, or -1 if `limit` was exceeded (client told to resync).
        """
        sent = 0
        while True:
            batch = await database_sync_to_async(selectors.inbox_after)(
                user=self.user, position=self.position, limit=_DRAIN_BATCH
            )
            if limit is not None and sent + len(batch.activities) > limit:
                await self.send_json({"type": "resync", "reason": "too_far_behind"})
                await self.close()
                return -1
            for activity in batch.activities:
                envelope = ActivityEnvelope(feed="news", cursor=activity.pk, data=activity_to_dict(activity))
                await self._send_envelope(envelope.as_json())
            sent += len(batch.activities)
            self.position = batch.position
            if not batch.more:
                return sent

    async def disconnect(self, code: int) -> None:
        user = getattr(self, "user", None)
        if user is None:
            return
        await self.channel_layer.group_discard(user_group(user.pk), self.channel_name)
        for stream in getattr(self, "streams", ()):
            await self.channel_layer.group_discard(stream_group(stream), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "ack":
            self.unacked = 0
        elif kind in ("subscribe", "unsubscribe"):
            await self._subscription(kind, content.get("stream"))
        else:
            await self.send_json(
                {"type": "error", "error": "unknown_type", "detail": f"Unknown message type {kind!r}."}
            )

    async def _subscription(self, kind: str, stream: Any) -> None:
        if not isinstance(stream, str) or not await database_sync_to_async(self._may_view)(stream):
            # Unknown and invisible streams get the same answer.
            await self.send_json({"type": "error", "error": "not_found", "detail": "No such stream."})
            return
        if kind == "subscribe":
            if len(self.streams) >= _MAX_SUBSCRIPTIONS and stream not in self.streams:
                await self.send_json(
                    {"type": "error", "error": "too_many_subscriptions", "detail": "Unsubscribe first."}
                )
                return
            self.streams.add(stream)
            await self.channel_layer.group_add(stream_group(stream), self.channel_name)
            await self.send_json({"type": "subscribed", "stream": stream})
        else:
            self.streams.discard(stream)
            await self.channel_layer.group_discard(stream_group(stream), self.channel_name)
            await self.send_json({"type": "unsubscribed", "stream": stream})

    def _may_view(self, stream: str) -> bool:
        prefix, object_id = registry.split_stream(stream)
        kind = registry.kind_for(prefix)
        return bool(kind and object_id and kind.visible_object_ids(self.user, {object_id}))

    async def activity_push(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for `activity.push` messages from fan-out."""
        envelope = event["envelope"]
        if envelope["feed"] == "news":
            await self._drain_news()
        elif envelope.get("stream") in self.streams:
            await self._send_envelope(envelope)

    async def notification_push(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for `notification.push`: a notification or a new unread count."""
        await self.send_json(event["envelope"])

    async def _send_envelope(self, envelope: dict[str, Any]) -> None:
        key = (envelope.get("stream") or envelope["feed"], envelope["cursor"])
        if key in self.sent or self.closing:
            return
        if self.unacked >= settings.FEEDHUB["WS_ACK_WINDOW"]:
            # The client stopped reading (or acknowledging): stop buffering for it. It resumes
            # from its last cursor when it reconnects.
            self.closing = True
            await self.send_json({"type": "resync", "reason": "slow_consumer"})
            await self.close(code=CLOSE_SLOW_CONSUMER)
            return
        self.sent[key] = None
        if len(self.sent) > _SEEN_LIMIT:
            self.sent.popitem(last=False)
        self.unacked += 1
        await self.send_json(envelope)
