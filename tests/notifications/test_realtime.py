"""Live notification pushes through the real consumer and the Redis channel layer."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from apps.activity.services import follow_create
from apps.notifications import services
from apps.notifications.models import Notification
from apps.realtime.consumers import FeedConsumer
from apps.records.models import Deal
from tests.accounts.factories import UserFactory
from tests.notifications.factories import change_stage
from tests.records.factories import make_deal

# The consumer reaches the database from other threads, which need committed data.
pytestmark = pytest.mark.django_db(transaction=True)


async def next_of_type(socket: WebsocketCommunicator, kind: str) -> dict:
    """The next message of this type; the activity pushes of the same change come first."""
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


def test_a_notification_and_then_a_mark_read_update_the_live_unread_count():
    deal = make_deal()
    follower = UserFactory()
    follow_create(user=follower, stream=deal.stream_key)

    def change() -> None:
        change_stage(deal, actor=deal.owner, stage=Deal.Stage.NEGOTIATION)

    def read() -> None:
        services.notification_mark_read(
            user=follower, notification=Notification.objects.get(recipient=follower)
        )

    async def scenario() -> tuple[dict, dict]:
        socket = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed/")
        socket.scope["user"] = follower
        connected, _ = await socket.connect()
        assert connected
        await next_of_type(socket, "ready")
        await sync_to_async(change)()
        pushed = await next_of_type(socket, "notification")
        await sync_to_async(read)()
        unread = await next_of_type(socket, "unread")
        await socket.disconnect()
        return pushed, unread

    pushed, unread = async_to_sync(scenario)()

    notification = Notification.objects.get(recipient=follower)
    assert pushed["unread"] == 1
    assert (pushed["data"]["id"], pushed["data"]["reason"], pushed["data"]["target"]) == (
        notification.pk,
        "record_changed",
        deal.stream_key,
    )
    assert unread == {"type": "unread", "count": 0}
