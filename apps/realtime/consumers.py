"""The feed websocket: live items for the signed-in user, with resume by cursor."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from apps.activity import registry, selectors
from apps.activity.models import Activity
from apps.activity.presenters import activity_to_dict

from .protocol import ActivityEnvelope, stream_group, user_group

# Close codes in the 4000 range mirror HTTP: 4401 unauthenticated, 4400 bad request.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4400
CLOSE_SLOW_CONSUMER = 4408
# The session or account behind the socket ended (logout, deactivation): sign in again.
CLOSE_SESSION_ENDED = 4403
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
        # Token clients have no session; a browser's logout ends only the sockets of that session.
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.sent: OrderedDict[tuple[str, int], None] = OrderedDict()
        self.streams: set[str] = set()
        # Followed streams merged at read time (their groups are joined) and the newest activity
        # id delivered from them: fan-out writes no inbox rows for those.
        self.merged: set[str] = set()
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
        self.merged_position = (
            since if since is not None else await database_sync_to_async(selectors.newest_activity_id)()
        )
        self.merged_start = self.merged_position
        # Also joins the groups of followed merged streams, so drain even without a cursor.
        replayed = await self._drain_news(
            limit=settings.FEEDHUB["REPLAY_LIMIT"] if since is not None else None
        )
        if replayed < 0:
            return
        cursor = await database_sync_to_async(selectors.inbox_cursor_at)(user=user, position=self.position)
        await self.send_json({"type": "ready", "cursor": cursor, "replayed": replayed})

    async def _drain_news(self, limit: int | None = None) -> int:
        """Send what reached the inbox since the last item sent, from the database, then what
        was written to followed merged streams since the last of those sent.

        Live pushes only say "look now": delivering from the inbox in arrival order means a
        push lost on the way (a worker killed after commit, a Redis blip) is made up by the
        next one. Merged streams are read by activity id (they have no inbox rows); each drain
        also refreshes which of them the user follows and joins their groups, whose pushes
        trigger drains too. Returns the number sent, or -1 if `limit` was exceeded (client told
        to resync).
        """
        sent = 0
        while True:
            batch = await database_sync_to_async(selectors.inbox_after)(
                user=self.user, position=self.position, limit=_DRAIN_BATCH
            )
            if not await self._send_news(batch.activities, sent, limit):
                return -1
            sent += len(batch.activities)
            self.position = batch.position
            if not batch.more:
                break
        while True:
            merged = await database_sync_to_async(selectors.merged_after)(
                user=self.user, position=self.merged_position, limit=_DRAIN_BATCH
            )
            await self._join_merged(set(merged.streams))
            if not await self._send_news(merged.activities, sent, limit):
                return -1
            sent += len(merged.activities)
            self.merged_position = merged.position
            if not merged.more:
                return sent

    async def _send_news(self, activities: list, sent: int, limit: int | None) -> bool:
        """Send news envelopes; False (and the client told to resync) past the replay limit."""
        if limit is not None and sent + len(activities) > limit:
            await self.send_json({"type": "resync", "reason": "too_far_behind"})
            await self.close()
            return False
        for activity in activities:
            envelope = ActivityEnvelope(feed="news", cursor=activity.pk, data=activity_to_dict(activity))
            await self._send_envelope(envelope.as_json())
        return True

    async def _join_merged(self, streams: set[str]) -> None:
        for stream in streams - self.merged:
            await self.channel_layer.group_add(stream_group(stream), self.channel_name)
        for stream in self.merged - streams - self.streams:
            await self.channel_layer.group_discard(stream_group(stream), self.channel_name)
        self.merged = streams

    async def disconnect(self, code: int) -> None:
        user = getattr(self, "user", None)
        if user is None:
            return
        await self.channel_layer.group_discard(user_group(user.pk), self.channel_name)
        for stream in getattr(self, "streams", set()) | getattr(self, "merged", set()):
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
            if stream not in self.merged:
                await self.channel_layer.group_discard(stream_group(stream), self.channel_name)
            await self.send_json({"type": "unsubscribed", "stream": stream})

    def _may_view(self, stream: str) -> bool:
        return selectors.stream_visible(viewer=self.user, stream=stream)

    def _may_see(self, data: dict[str, Any]) -> bool:
        """May the user see this pushed activity (everything it names), as of now?"""
        obj, target = data.get("object") or {}, data.get("target") or {}
        probe = Activity(
            object_type=obj.get("type", ""),
            object_id=obj.get("id", ""),
            target_type=target.get("type", ""),
            target_id=target.get("id", ""),
        )
        return bool(registry.visible_activities(self.user, [probe]))

    async def activity_push(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for `activity.push` messages from fan-out.

        News items are read from the inbox through the visibility checks; a record page's stream
        items are checked one by one, since a stream can carry an item naming something else
        (a share of a private record into a group).
        """
        envelope = event["envelope"]
        if envelope["feed"] == "news":
            await self._drain_news()
            return
        stream = envelope.get("stream")
        if stream in self.merged:
            await self._drain_news()
            await self._send_late_merged(envelope["cursor"])
        if stream in self.streams and await database_sync_to_async(self._may_see)(envelope["data"]):
            await self._send_envelope(envelope)

    async def _send_late_merged(self, activity_id: int) -> None:
        """Deliver a merged-stream activity that committed after a newer one was sent.

        Merged streams are drained by activity id, and an id is taken when a transaction
        inserts, not when it commits: a slow publisher's activity can land behind the position.
        Its push still names it, so anything pushed behind the position (but after this socket
        started) and not yet sent is read by id, through the same checks.
        """
        if not self.merged_start < activity_id <= self.merged_position or ("news", activity_id) in self.sent:
            return
        activity = await database_sync_to_async(selectors.merged_activity_for)(
            user=self.user, activity_id=activity_id
        )
        if activity is not None:
            await self._send_news([activity], 0, None)

    async def stream_push(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for `stream.push`: a stream's live state (poll tallies, like
        counts), sent as-is; when it names what it is `about`, only if the user may see that."""
        about = event.get("about")
        if about is not None and not await database_sync_to_async(self._may_see)(about):
            return
        await self.send_json(event["envelope"])

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for `access.recheck`: who may see some stream changed.

        Subscriptions the user may no longer view end at once, with reason `access_revoked`;
        news items are filtered as they are read, so nothing else needs undoing.
        """
        for stream in sorted(self.streams):
            if not await database_sync_to_async(self._may_view)(stream):
                self.streams.discard(stream)
                if stream not in self.merged:
                    await self.channel_layer.group_discard(stream_group(stream), self.channel_name)
                await self.send_json({"type": "unsubscribed", "stream": stream, "reason": "access_revoked"})

    async def session_end(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for `session.end`: the user logged out (that session) or was deactivated."""
        session_key = event.get("session_key")
        if session_key is None or session_key == self.session_key:
            self.closing = True
            await self.send_json({"type": "session_ended", "reason": event.get("reason", "signed_out")})
            await self.close(code=CLOSE_SESSION_ENDED)

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
