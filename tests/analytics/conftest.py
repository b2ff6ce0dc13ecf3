import pytest

from apps.analytics.services import rollup_range
from tests.analytics.factories import DAY1, DAY2, build_story


@pytest.fixture
def story():
    """The hand-counted story of factories.py, rolled up."""
    story = build_story()
    rollup_range(first=DAY1, last=DAY2)
    return story


@pytest.fixture(autouse=True)
def _no_cached_lenses():
    """Cached hidden contexts are keyed by reader id, which a fresh test database reuses."""
    from django.core.cache import cache

    cache.clear()
