"""The feed consumer in-process, over the real channel layer (Redis when REDIS_URL is set)."""

import threading

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction

from apps.activity.services import ObjectRef, activity_publish, follow_create
from apps.records.models import Deal
from apps.records.services import record_update
from feedhub.asgi import application
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user, path="/ws/feed/") -> WebsocketCommunicator:
    from apps.accounts.services import api_token_create

    issued = await database_sync_to_async(api_token_create)(user=user, name="t")
    joiner = "&" if "?" in path else "?"
    communicator = WebsocketCommunicator(application, f"{path}{joiner}token={issued.secret}")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_viewer_of_a_record_page_gets_its_changes_without_following():
    deal = await database_sync_to_async(make_deal)()
    viewer = await database_sync_to_async(UserFactory)()
    ws = await connect(viewer)
    assert (await ws.receive_json_from())["type"] == "ready"

    await ws.send_json_to({"type": "subscribe", "stream": deal.stream_key})
    assert await ws.receive_json_from() == {"type": "subscribed", "stream": deal.stream_key}
    await database_sync_to_async(record_update)(
        record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION}
    )

    message = await ws.receive_json_from(timeout=3)
    assert (message["type"], message["feed"], message["stream"]) == ("activity", "stream", deal.stream_key)
    assert message["data"]["changes"][0]["new"] == "negotiation"
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_subscribing_to_an_unknown_record_is_refused_like_an_invisible_one():
    viewer = await database_sync_to_async(UserFactory)()
    ws = await connect(viewer)
    await ws.receive_json_from()

    await ws.send_json_to({"type": "subscribe", "stream": "deal:999999"})

    assert (await ws.receive_json_from())["error"] == "not_found"
    await ws.disconnect()


async def test_a_non_numeric_cursor_is_rejected():
    viewer = await database_sync_to_async(UserFactory)()
    ws = await connect(viewer, "/ws/feed/?since=yesterday")

    assert (await ws.receive_json_from())["error"] == "bad_cursor"
    assert (await ws.receive_output())["type"] == "websocket.close"


async def test_ping_is_answered_and_unknown_messages_get_an_error():
    viewer = await database_sync_to_async(UserFactory)()
    ws = await connect(viewer)
    await ws.receive_json_from()

    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.send_json_to({"type": "dance"})
    assert (await ws.receive_json_from())["error"] == "unknown_type"
    await ws.disconnect()


def celebrity_with_reader():
    """A person with three followers, one of them the reader (over a threshold of 2: merged)."""
    celebrity, reader = UserFactory(), UserFactory()
    for fan in [reader, UserFactory(), UserFactory()]:
        follow_create(user=fan, stream=celebrity.stream_key)
    return celebrity, reader


def publish(actor, object_id: str) -> int:
    return activity_publish(actor=actor, verb="Update", obj=ObjectRef(type="ext", id=object_id)).pk


async def test_items_of_a_merged_stream_arrive_live_once_and_on_resume(settings):
    settings.FEEDHUB = {**settings.FEEDHUB, "FANOUT_THRESHOLD": 2}
    celebrity, reader = await database_sync_to_async(celebrity_with_reader)()
    promoting = await database_sync_to_async(publish)(celebrity, "1")  # copied; marks the stream merged
    ws = await connect(reader)
    assert (await ws.receive_json_from())["type"] == "ready"

    merged = await database_sync_to_async(publish)(celebrity, "2")

    message = await ws.receive_json_from(timeout=3)
    assert (message["type"], message["feed"], message["cursor"]) == ("activity", "news", merged)
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()

    resumed = await connect(reader, f"/ws/feed/?since={promoting}")
    replay = await resumed.receive_json_from()
    assert (replay["feed"], replay["cursor"]) == ("news", merged)
    assert (await resumed.receive_json_from())["type"] == "ready"
    await resumed.disconnect()


async def test_a_merged_stream_item_that_commits_after_a_newer_one_still_arrives_live(settings):
    settings.FEEDHUB = {**settings.FEEDHUB, "FANOUT_THRESHOLD": 2}
    celebrity, reader = await database_sync_to_async(celebrity_with_reader)()
    await database_sync_to_async(publish)(celebrity, "promote")  # copied; marks the stream merged
    ws = await connect(reader)
    assert (await ws.receive_json_from())["type"] == "ready"

    # A slow publisher takes the lower id, then holds its transaction open while a newer
    # activity on the same stream commits and is delivered.
    inserted, release, slow = threading.Event(), threading.Event(), {}

    def slow_publisher():
        try:
            with transaction.atomic():
                slow["id"] = publish(celebrity, "slow")
                inserted.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_publisher)
    thread.start()
    assert inserted.wait(timeout=10)
    fast = await database_sync_to_async(publish)(celebrity, "fast")
    first = await ws.receive_json_from(timeout=3)
    assert (first["feed"], first["cursor"]) == ("news", fast)
    assert slow["id"] < fast

    release.set()
    thread.join(timeout=10)

    late = await ws.receive_json_from(timeout=3)
    assert (late["feed"], late["cursor"]) == ("news", slow["id"])
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


@pytest.mark.parametrize("threshold", [1000, 2])
async def test_a_client_follow_without_related_records_pushes_only_the_clients_own_changes(
    settings, threshold
):
    settings.FEEDHUB = {**settings.FEEDHUB, "FANOUT_THRESHOLD": threshold}

    def setup():
        from apps.activity.services import follow_create
        from tests.records.factories import make_client

        owner, fan = UserFactory(), UserFactory()
        client = make_client(owner=owner)
        for follower in (fan, UserFactory()):
            follow_create(user=follower, stream=client.stream_key, include_related=follower is not fan)
        record_update(record=client, actor=owner, data={"name": "ACME Group"})  # merges it above 2
        return client, make_deal(client=client, owner=owner), fan

    def changes(client, deal) -> int:
        from apps.activity.models import Activity

        record_update(record=deal, actor=deal.owner, data={"stage": Deal.Stage.NEGOTIATION})
        record_update(record=client, actor=client.owner, data={"tier": "key"})
        return Activity.objects.latest("pk").pk

    client, deal, fan = await database_sync_to_async(setup)()
    ws = await connect(fan)
    assert (await ws.receive_json_from())["type"] == "ready"

    retiered = await database_sync_to_async(changes)(client, deal)

    messages = [await ws.receive_json_from(timeout=3)]
    while not await ws.receive_nothing(timeout=0.5):
        messages.append(await ws.receive_json_from())
    await ws.disconnect()
    assert [(m["feed"], m["cursor"]) for m in messages if m["type"] == "activity"] == [("news", retiered)]
    # Copied, the client's change also notifies its follower; the deal's change never does.
    notified = {m["data"]["target"] for m in messages if m["type"] == "notification"}
    assert notified <= {client.stream_key}


async def test_a_mention_added_by_an_edit_arrives_live_once():
    def setup():
        from apps.social.services import post_create

        author, dana = UserFactory(), UserFactory(username="dana")
        return post_create(author=author, stream=author.stream_key, body="Plans"), dana

    def edit(post, body: str) -> None:
        from apps.social.services import post_update

        post_update(post=post, actor=post.author, body=body)

    post, dana = await database_sync_to_async(setup)()
    ws = await connect(dana)
    assert (await ws.receive_json_from())["type"] == "ready"

    await database_sync_to_async(edit)(post, "Plans, @dana?")
    await database_sync_to_async(edit)(post, "Plans, @dana? Friday.")

    messages = [await ws.receive_json_from(timeout=3)]
    while not await ws.receive_nothing(timeout=0.5):
        messages.append(await ws.receive_json_from())
    await ws.disconnect()
    assert [(m["feed"], m["cursor"]) for m in messages if m["type"] == "activity"] == [
        ("news", post.activity_id)
    ]
    assert [m["data"]["reason"] for m in messages if m["type"] == "notification"] == ["mentioned"]
