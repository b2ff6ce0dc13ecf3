"""Dataset shapes. Every figure in the results names the tier (and scale) it was measured on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Tier:
    name: str
    users: int
    records: int
    follows_per_user: int
    activities: int
    # Records followed by every user (10,000 followers in the standard tier).
    mega_records: int
    # Records with `hot_followers` followers each.
    hot_records: int
    hot_followers: int
    # Activities written on each mega/hot record (the rest land on ordinary records at random).
    activities_per_hot_record: int
    # Power users also follow enough people to hold `power_feed_items` items, so pages at
    # depth 1,000 and 10,000 exist.
    power_users: int
    power_feed_items: int
    # Timed repetitions; results quote medians.
    runs: int
    feed_requests: int
    backlog_events: int
    hot_publishes: int
    ingest_events: int
    # django-activity-stream pages are slow at depth: fewer timed requests keep the run short.
    peer_requests: int
    # Streams with more followers are merged at read time (FEEDHUB["FANOUT_THRESHOLD"]): the
    # mega records are, the hot ones are copied.
    fanout_threshold: int = 5_000
    seed: int = 8

    def scaled(self, scale: float) -> Tier:
        """The same shape with fewer activities (everything else unchanged)."""
        if scale >= 1:
            return self
        return replace(self, activities=int(self.activities * scale), name=f"{self.name}@{scale:g}")

    def as_dict(self) -> dict:
        return asdict(self)


STANDARD = Tier(
    name="standard",
    users=10_000,
    records=100_000,
    follows_per_user=50,
    activities=2_000_000,
    mega_records=5,
    hot_records=200,
    hot_followers=1_000,
    activities_per_hot_record=5,
    power_users=5,
    power_feed_items=15_000,
    runs=5,
    feed_requests=400,
    backlog_events=300,
    hot_publishes=5,
    ingest_events=300,
    peer_requests=20,
)

QUICK = Tier(
    name="quick",
    users=1_000,
    records=5_000,
    follows_per_user=30,
    activities=40_000,
    mega_records=2,
    hot_records=20,
    hot_followers=100,
    activities_per_hot_record=5,
    power_users=2,
    power_feed_items=11_000,
    runs=3,
    feed_requests=60,
    backlog_events=100,
    hot_publishes=3,
    ingest_events=100,
    peer_requests=20,
    fanout_threshold=500,
)

TIERS = {t.name: t for t in (STANDARD, QUICK)}
