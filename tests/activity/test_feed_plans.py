"""Guards on how PostgreSQL runs the feed queries, on a table big enough for the planner to care.

A feed page must stay one short index range scan whatever its depth: no sequential scan, no
backward walk of a global index (the activity primary key, the inbox's `activity_id` index)
and no OFFSET. The plans are read with EXPLAIN after ANALYZE, with the planner's defaults.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.activity import selectors
from apps.activity.models import InboxEntry, MergedStream
from apps.activity.services import follow_create
from tests.accounts.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's"),
]

# Fewer (2,500) and PostgreSQL rightly hash-joins a sequentially scanned activity table.
ACTIVITIES = 5_000
# The heavy user's rows are a fiftieth of the inbox and stream tables, as one user's are among many:
# with a table holding only their rows, a global index walk would be the right plan.
OTHER_USERS = 49
FEED_TABLES = {"activity_inboxentry", "activity_activity", "activity_activitystream"}
# Backward scans are fine on indexes that lead with the feed's owner: they read one user's
# (or one stream's) rows only.
OWNER_LED_INDEXES = {"inbox_unique", "activity_stream_unique"}


def seed(heavy_id: int, light_id: int, other_ids: list[int]) -> None:
    """Every activity reaches the heavy user and the others; one in two reaches the light user."""
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO activity_activity (verb, object_type, object_id, object_name, target_type, target_id,
                target_name, published, summary, changes, payload, source, source_client, fanout_pending,
                created_at, actor_id)
            SELECT 'Update', 'user', %(heavy)s::text, '', '', '', '', now(), '', '[]', '{}', 'web', '', false,
                now(), %(heavy)s
            FROM generate_series(1, %(n)s);
            INSERT INTO activity_activitystream (activity_id, stream)
            SELECT a.id, 'user:' || u FROM activity_activity a, unnest(%(everyone)s::bigint[]) u;
            INSERT INTO activity_inboxentry (user_id, activity_id)
            SELECT u, a.id FROM activity_activity a, unnest(%(everyone)s::bigint[]) u
            UNION ALL SELECT %(light)s, id FROM activity_activity WHERE id %% 2 = 0 ORDER BY 2;
            ANALYZE activity_activity, activity_activitystream, activity_inboxentry;
            """,
            {"heavy": heavy_id, "light": light_id, "everyone": [heavy_id, *other_ids], "n": ACTIVITIES},
        )


def plan_nodes(sql: str, params: Any) -> list[dict[str, Any]]:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cur.fetchone()[0]
    nodes, stack = [], [plan["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def problems(nodes: list[dict[str, Any]]) -> list[str]:
    found = []
    for node in nodes:
        table = node.get("Relation Name")
        if node["Node Type"] == "Seq Scan" and table in FEED_TABLES:
            found.append(f"sequential scan on {table}")
        if node.get("Scan Direction") == "Backward" and node.get("Index Name") not in OWNER_LED_INDEXES:
            found.append(f"backward scan of the global index {node.get('Index Name')}")
    return found


def feed_queries(run) -> list[tuple[str, Any]]:
    with CaptureQueriesContext(connection) as ctx:
        run()
    sqls = [q["sql"] for q in ctx.captured_queries]
    return [(sql, None) for sql in sqls if any(t in sql for t in FEED_TABLES)]


@pytest.fixture
def seeded():
    heavy, light = UserFactory(), UserFactory()
    seed(heavy.pk, light.pk, [UserFactory().pk for _ in range(OTHER_USERS)])
    return heavy, light


def cursor_at_depth(user, depth: int) -> int:
    return InboxEntry.objects.filter(user=user).order_by("-activity_id")[depth - 1 : depth].get().activity_id


def test_news_feed_page_is_an_owner_led_index_scan_at_any_depth(seeded):
    """Deep pages are checked for the light user, whose rows are 1% of the inbox like anyone's among
    thousands of users. (For a user owning a large share of a small table, walking the global
    `activity_id` index is the planner's legitimately cheapest plan, so it proves nothing.)"""
    heavy, light = seeded
    pages = [(heavy, None)] + [(light, cursor_at_depth(light, d) if d else None) for d in (0, 1_000)]

    for viewer, before in pages:
        queries = feed_queries(
            lambda viewer=viewer, before=before: selectors.news_feed(user=viewer, before=before)
        )
        assert queries, "the feed ran no query on the feed tables"
        for sql, params in queries:
            assert "OFFSET" not in sql.upper()
            assert (viewer == light, before, problems(plan_nodes(sql, params))) == (
                viewer == light,
                before,
                [],
            )


def test_stream_feed_page_is_an_owner_led_index_scan_at_any_depth(seeded):
    heavy, _ = seeded
    for depth in (0, 4_000):
        before = cursor_at_depth(heavy, depth) if depth else None
        queries = feed_queries(
            lambda before=before: selectors.stream_feed(stream=heavy.stream_key, viewer=heavy, before=before)
        )
        assert queries
        for sql, params in queries:
            assert "OFFSET" not in sql.upper()
            assert (depth, problems(plan_nodes(sql, params))) == (depth, [])


def test_resume_replay_never_uses_offset(seeded):
    heavy, _ = seeded
    cursor = cursor_at_depth(heavy, 100)

    def resume() -> None:
        position = selectors.inbox_anchor(user=heavy, cursor=cursor)
        selectors.inbox_after(user=heavy, position=position, limit=50)

    queries = feed_queries(resume)

    assert queries
    assert [sql for sql, _ in queries if "OFFSET" in sql.upper()] == []
    for sql, params in queries:
        assert problems(plan_nodes(sql, params)) == []


def test_guard_detects_a_backward_global_scan(seeded):
    """The guard itself can fail: an ORDER BY on the activity primary key alone walks it backwards."""
    sql = "SELECT id FROM activity_activity ORDER BY id DESC LIMIT 21"

    assert problems(plan_nodes(sql, None)) == ["backward scan of the global index activity_activity_pkey"]


def test_news_feed_with_a_merged_stream_stays_owner_led_at_any_depth(seeded):
    """The light user also follows the heavy user's stream, merged at read time (5,000 rows)."""
    heavy, light = seeded
    MergedStream.objects.create(stream=heavy.stream_key, since_activity_id=0)
    follow_create(user=light, stream=heavy.stream_key)
    with connection.cursor() as cur:
        cur.execute("ANALYZE activity_follow, activity_mergedstream")

    for depth in (0, 1_000):
        before = cursor_at_depth(light, depth) if depth else None
        queries = feed_queries(lambda before=before: selectors.news_feed(user=light, before=before))
        assert len(queries) == 1
        for sql, params in queries:
            assert "OFFSET" not in sql.upper()
            assert (depth, problems(plan_nodes(sql, params))) == (depth, [])
