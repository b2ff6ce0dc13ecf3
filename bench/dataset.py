"""Seeded dataset generator: set-based SQL (generate_series) straight into PostgreSQL.

No ORM and no Python loop per row: every table is filled by one INSERT ... SELECT, so
two million activities and their inbox rows take minutes. The same seed gives the same data.

Shape (see tiers.py): users; records (half deals, a fifth clients, the rest briefs); the first
`mega_records` deals are followed by every user, the next `hot_records` deals by exactly
`hot_followers` users each; every user's remaining follows go to ordinary records. Power
users also follow enough people to hold `power_feed_items` feed items. Inbox rows are what
fan-out would have written: the followers of the activity's object and actor streams, plus
the actor.
"""

from __future__ import annotations

import math
import random
import time
from typing import Any

from .tiers import Tier

FIRST = ["Ada", "Ben", "Chloe", "Dan", "Eva", "Femi", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lena"]
LAST = ["Morgan", "Alvarez", "Chen", "Okafor", "Novak", "Singh", "Berg", "Rossi", "Kim", "Dubois"]


TABLES = (
    "accounts_user",
    "records_client",
    "records_deal",
    "records_brief",
    "activity_activity",
    "activity_activitystream",
    "activity_follow",
    "activity_inboxentry",
)


def _ordinary(tier: Tier) -> int:
    return tier.records - tier.mega_records - tier.hot_records


def random_follows_per_user(tier: Tier) -> int:
    hot_each = tier.hot_records * tier.hot_followers // tier.users
    return tier.follows_per_user - tier.mega_records - hot_each


def people_followed_by_power_users(tier: Tier) -> int:
    return min(tier.users, math.ceil(tier.users * tier.power_feed_items / max(tier.activities, 1)))


def check_shape(tier: Tier) -> None:
    if tier.hot_records and tier.users % tier.hot_records:
        raise ValueError("users must be a multiple of hot_records (exact follower counts)")
    if random_follows_per_user(tier) < 1:
        raise ValueError("follows_per_user too small for the mega and hot follows")


def _drop_secondary_indexes(cursor: Any, table: str) -> list[str]:
    """Drop a table's unique constraints and non-primary indexes; return the SQL to rebuild them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    rebuild = [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
    ]
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
        [table],
    )
    indexes = cursor.fetchall()
    for name, definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
        rebuild.append(definition)
    return rebuild


def generate(cursor: Any, tier: Tier, log=print) -> dict[str, float]:
    """Fill an empty, migrated feedhub database. Returns seconds per step."""
    check_shape(tier)
    u, r = tier.users, tier.records
    n_deal, n_client = r // 2, r // 5
    n_brief = r - n_deal - n_client
    special = tier.mega_records + tier.hot_records
    ordinary = _ordinary(tier)
    k_random = random_follows_per_user(tier)
    step_hot = u // tier.hot_records if tier.hot_records else 0
    stride = max(1, tier.activities // max(1, special * tier.activities_per_hot_record))
    k_people = people_followed_by_power_users(tier)
    timings: dict[str, float] = {}

    def step(name: str, sql: str, params: dict | None = None) -> None:
        t0 = time.perf_counter()
        cursor.execute(sql, params or {})
        timings[name] = round(time.perf_counter() - t0, 2)
        log(f"  {name}: {timings[name]} s")

    cursor.execute("SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'; SET synchronous_commit = off")
    # The data is consistent by construction: skip per-row foreign-key triggers (superuser only).
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("SELECT setseed(%(s)s)", {"s": (tier.seed % 1000) / 1000})
    p = {
        "u": u,
        "first": FIRST,
        "last": LAST,
        "n_deal": n_deal,
        "n_client": n_client,
        "n_brief": n_brief,
        "special": special,
        "mega": tier.mega_records,
        "hot": tier.hot_records,
        "hot_f": tier.hot_followers,
        "step_hot": step_hot,
        "ordinary": ordinary,
        "k_random": k_random,
        "gap": ordinary // k_random,
        "acts": tier.activities,
        "stride": stride,
        "per_hot": tier.activities_per_hot_record,
        "power": tier.power_users,
        "people": k_people,
    }
    step(
        "users",
        """
        INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email,
            is_staff, is_active, date_joined, title, department, about, avatar, timezone)
        SELECT g, '!', false, 'user' || g,
            (%(first)s::text[])[1 + g %% 12], (%(last)s::text[])[1 + (g / 12) %% 10],
            'user' || g || '@example.com', false, true, now() - interval '400 days',
            'Account Executive', 'Sales', '', '', 'UTC'
        FROM generate_series(1, %(u)s) g
        """,
        p,
    )
    step(
        "records",
        """
        INSERT INTO records_client (id, owner_id, created_at, updated_at, name, industry, tier, website)
        SELECT g, 1 + (g::bigint * 7919) %% %(u)s, now() - interval '400 days', now(), 'Client ' || g,
            'Manufacturing', 'standard', ''
        FROM generate_series(1, %(n_client)s) g;
        INSERT INTO records_deal (id, owner_id, created_at, updated_at, client_id, name, stage, amount,
            close_date)
        SELECT g, 1 + (g::bigint * 104729) %% %(u)s, now() - interval '400 days', now(),
            1 + g %% %(n_client)s,
            'Deal ' || g, 'proposal', 1000 * (g %% 500), NULL
        FROM generate_series(1, %(n_deal)s) g;
        INSERT INTO records_brief (id, owner_id, created_at, updated_at, client_id, title, status, due_date,
            revision, description)
        SELECT g, 1 + (g::bigint * 1299709) %% %(u)s, now() - interval '400 days', now(),
            1 + g %% %(n_client)s,
            'Brief ' || g, 'draft', NULL, 1, ''
        FROM generate_series(1, %(n_brief)s) g;
        -- Record index -> stream: deals first (so the mega and hot records are deals 1..special).
        DROP TABLE IF EXISTS bench_record;
        CREATE UNLOGGED TABLE bench_record (r int PRIMARY KEY, type text, oid text, name text, stream text);
        INSERT INTO bench_record
        SELECT g - 1, 'deal', g::text, 'Deal ' || g, 'deal:' || g FROM generate_series(1, %(n_deal)s) g
        UNION ALL
        SELECT %(n_deal)s + g - 1, 'client', g::text, 'Client ' || g, 'client:' || g
        FROM generate_series(1, %(n_client)s) g
        UNION ALL
        SELECT %(n_deal)s + %(n_client)s + g - 1, 'brief', g::text, 'Brief ' || g, 'brief:' || g
        FROM generate_series(1, %(n_brief)s) g;
        """,
        p,
    )
    step(
        "follows",
        """
        INSERT INTO activity_follow (user_id, stream, created_at, muted, verbs)
        SELECT f.user_id, b.stream, now() - interval '300 days', false, '[]'::jsonb
        FROM (
            SELECT m AS r, uid AS user_id
            FROM generate_series(0, %(mega)s - 1) m, generate_series(1, %(u)s) uid
            UNION ALL
            SELECT %(mega)s + j, 1 + (k + %(u)s - (j * %(step_hot)s) %% %(u)s) %% %(u)s
            FROM generate_series(0, %(hot)s - 1) j, generate_series(0, %(hot_f)s - 1) k
            UNION ALL
            SELECT %(special)s + (uid * 7919 + k * %(gap)s) %% %(ordinary)s, uid
            FROM generate_series(1, %(u)s) uid, generate_series(0, %(k_random)s - 1) k
        ) f JOIN bench_record b ON b.r = f.r;
        INSERT INTO activity_follow (user_id, stream, created_at, muted, verbs)
        SELECT pu, 'user:' || (%(power)s + k), now() - interval '300 days', false, '[]'::jsonb
        FROM generate_series(1, %(power)s) pu, generate_series(1, %(people)s) k
        WHERE %(power)s + k <= %(u)s;
        """,
        p,
    )
    step(
        "activities",
        """
        DROP TABLE IF EXISTS bench_act;
        CREATE UNLOGGED TABLE bench_act AS
        SELECT g AS id,
            CASE WHEN g %% %(stride)s = 0 AND g / %(stride)s <= %(special)s * %(per_hot)s
                 THEN (g / %(stride)s) %% %(special)s
                 ELSE %(special)s + floor(random() * %(ordinary)s)::int END AS r,
            1 + floor(random() * %(u)s)::int AS actor
        FROM generate_series(1, %(acts)s) g;
        INSERT INTO activity_activity (id, verb, object_type, object_id, object_name, target_type, target_id,
            target_name, published, summary, changes, payload, source, source_client, idempotency_key,
            fanout_pending, created_at, actor_id)
        SELECT a.id, 'Update', b.type, b.oid, b.name, '', '', '',
            now() - make_interval(secs => (%(acts)s - a.id) * 2),
            b.name || ' moved from Proposal to Negotiation',
            '[{"field": "stage", "label": "Stage", "old": "proposal", "new": "negotiation",
               "old_display": "Proposal", "new_display": "Negotiation"}]'::jsonb,
            '{}'::jsonb, 'web', '', NULL, false,
            now() - make_interval(secs => (%(acts)s - a.id) * 2), a.actor
        FROM bench_act a JOIN bench_record b ON b.r = a.r
        ORDER BY a.id;
        INSERT INTO activity_activitystream (activity_id, stream)
        SELECT a.id, b.stream FROM bench_act a JOIN bench_record b ON b.r = a.r
        UNION ALL
        SELECT a.id, 'user:' || a.actor FROM bench_act a;
        """,
        p,
    )
    # Building the inbox indexes once after the load is several times faster than maintaining
    # them row by row in random user order.
    step(
        "merged_streams",
        """
        INSERT INTO activity_mergedstream (stream, since_activity_id, created_at)
        SELECT stream, 0, now() FROM activity_follow GROUP BY stream HAVING count(*) > %(threshold)s
        """,
        {"threshold": tier.fanout_threshold},
    )
    deferred = _drop_secondary_indexes(cursor, "activity_inboxentry")
    step(
        "inbox",
        """
        INSERT INTO activity_inboxentry (user_id, activity_id)
        SELECT user_id, id FROM (
            SELECT f.user_id, a.id FROM bench_act a
            JOIN bench_record b ON b.r = a.r JOIN activity_follow f ON f.stream = b.stream
            WHERE b.stream NOT IN (SELECT stream FROM activity_mergedstream)
            UNION
            SELECT f.user_id, a.id FROM bench_act a
            JOIN activity_follow f ON f.stream = 'user:' || a.actor
            UNION
            SELECT a.actor, a.id FROM bench_act a
        ) x ORDER BY id, user_id
        """,
    )
    t0 = time.perf_counter()
    for sql in deferred:
        cursor.execute(sql)
    timings["inbox_indexes"] = round(time.perf_counter() - t0, 2)
    log(f"  inbox_indexes: {timings['inbox_indexes']} s")
    cursor.execute("SET session_replication_role = DEFAULT")
    t0 = time.perf_counter()
    for table in TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    timings["sequences"] = round(time.perf_counter() - t0, 2)
    step("analyze", "VACUUM ANALYZE")
    return timings


def counts(cursor: Any) -> dict[str, int]:
    out = {}
    for table in TABLES:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed names)
        out[table] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT max(c), min(c) FROM (SELECT count(*) c FROM activity_follow "
        "WHERE stream LIKE 'deal:%%' GROUP BY stream) s"
    )
    out["max_followers"], out["min_followers"] = cursor.fetchone()
    return out


def sample_user_ids(tier: Tier, n: int) -> list[int]:
    """Ordinary (non-power) users the feed benchmarks read as; the same for feedhub and the peer."""
    rng = random.Random(tier.seed)
    return rng.sample(range(tier.power_users + 1, tier.users + 1), min(n, tier.users - tier.power_users))
