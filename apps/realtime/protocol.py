"""The websocket protocol: group names and the JSON envelopes sent to clients.

Server → client:
  {"type": "activity", "feed": "news"|"stream", "stream": "deal:42"?, "cursor": 1234, "data": {...}}
  {"type": "ready", "cursor": 1234|null, "replayed": 2}   after connect (and any replay)
  {"type": "subscribed", "stream": "deal:42"} / {"type": "unsubscribed", ...}
  {"type": "resync", "reason": "..."}   the client must refetch over REST, then reconnect
  {"type": "error", "error": "<code>", "detail": "..."}
  {"type": "pong"}
  {"type": "notification", "unread": 3, "data": {...}}   a notification was created or updated
  {"type": "unread", "count": 2}   the unread notification count changed (e.g. marked read elsewhere)
  {"type": "poll", "stream": "post:7", "poll": 7, "tallies": [3, 1], "votes": 4, "closed": false}
                                    new tallies of a poll, to connections subscribed to the post's
                                    stream (`post:7`) or to the stream it was posted on
  {"type": "unsubscribed", "stream": "deal:42", "reason": "access_revoked"}   access to a subscribed
                                    stream was removed; its items stop at once
  {"type": "session_ended", "reason": "signed_out"|"deactivated"}   then close code 4403
Client → server:
  {"type": "subscribe", "stream": "deal:42"} / {"type": "unsubscribe", "stream": "deal:42"}
  {"type": "ping"}
  {"type": "ack", "cursor": 1234}   acknowledges everything received so far; a client with more
                                    than FEEDHUB_WS_ACK_WINDOW unacknowledged items gets `resync`
                                    (reason "slow_consumer") and is closed with code 4408
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

PUSH_MESSAGE_TYPE = "activity.push"
NOTIFICATION_MESSAGE_TYPE = "notification.push"
STREAM_MESSAGE_TYPE = "stream.push"
ACCESS_RECHECK_MESSAGE_TYPE = "access.recheck"
SESSION_END_MESSAGE_TYPE = "session.end"
_GROUP_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def stream_group(stream: str) -> str:
    """Channels forbids `:` in group names; `deal:42` becomes `stream.deal.42`."""
    name = "stream." + stream.replace(":", ".", 1)
    if _GROUP_SAFE.search(name) or len(name) > 90:
        name = "stream.h." + hashlib.sha256(stream.encode()).hexdigest()[:32]
    return name


@dataclass(frozen=True)
class ActivityEnvelope:
    feed: str
    cursor: int
    data: dict[str, Any]
    stream: str | None = None
    type: str = "activity"

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        if self.stream is None:
            body.pop("stream")
        return body


def push_message(envelope: ActivityEnvelope) -> dict[str, Any]:
    """A channel-layer message carrying an envelope (JSON primitives only)."""
    return {"type": PUSH_MESSAGE_TYPE, "envelope": envelope.as_json()}


@dataclass(frozen=True)
class NotificationEnvelope:
    unread: int
    data: dict[str, Any]
    type: str = "notification"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UnreadEnvelope:
    count: int
    type: str = "unread"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def notification_message(envelope: NotificationEnvelope | UnreadEnvelope) -> dict[str, Any]:
    """A channel-layer message for the `notification_push` handler (JSON primitives only)."""
    return {"type": NOTIFICATION_MESSAGE_TYPE, "envelope": envelope.as_json()}


@dataclass(frozen=True)
class PollEnvelope:
    """A poll's tallies (votes per choice, in choice order) after a vote or its closing."""

    stream: str
    poll: int
    tallies: list[int]
    votes: int
    closed: bool
    type: str = "poll"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LikesEnvelope:
    """An item's like count after a like or unlike: the activity's, or one of its comments'."""

    stream: str
    activity: int
    count: int
    comment: int | None = None
    type: str = "likes"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def stream_message(
    envelope: PollEnvelope | LikesEnvelope, *, about: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A channel-layer message for the `stream_push` handler, sent to a stream's subscribers.

    `about` ({"object": {"type", "id"}, "target": {...}}) names what the envelope concerns; each
    connection then sends it only if its user may see that (a stream can carry items naming
    something else). Without it, having subscribed to the stream is enough.
    """
    message: dict[str, Any] = {"type": STREAM_MESSAGE_TYPE, "envelope": envelope.as_json()}
    if about is not None:
        message["about"] = about
    return message
