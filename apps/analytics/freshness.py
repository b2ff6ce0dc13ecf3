"""When a cached analytics lens is stale: versions bumped by access changes and by rollups."""

from __future__ import annotations

from datetime import date

from django.core.cache import cache

# A backstop for access changes nobody announces (an admin demoted, say).
LENS_SECONDS = 300
_ACCESS_VERSION = "analytics:access-version"
_ROLLUP_GENERATION = "analytics:rollup-generation"


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def access_changed(streams: list[str], user_ids: list[int]) -> None:
    """Registry access listener: any change of who may see what invalidates every cached lens."""
    _bump(_ACCESS_VERSION)


def rollup_changed() -> None:
    """New rollup rows may name contexts no cached lens has checked."""
    _bump(_ROLLUP_GENERATION)


def lens_key(viewer_id: int, since: date, until: date) -> str:
    """Where a reader's hidden contexts for a period are cached; it moves on with every change."""
    versions = cache.get_many([_ACCESS_VERSION, _ROLLUP_GENERATION])
    return (
        f"analytics:lens:{viewer_id}:{versions.get(_ACCESS_VERSION, 0)}:"
        f"{versions.get(_ROLLUP_GENERATION, 0)}:{since}:{until}"
    )
