"""The news page: live by default; a search or a filter reads a fixed feed instead."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "feed_url", "live"),
    [
        ("", "/api/v1/feed/", "news"),
        ("?show=changes", "/api/v1/feed/?verb=Update", ""),
        ("?show=posts", "/api/v1/feed/?type=post", ""),
        ("?q=budget+review&show=deals", "/api/v1/search/?q=budget+review&amp;type=deal", ""),
        ("?show=nonsense", "/api/v1/feed/", "news"),
    ],
)
def test_the_news_page_points_its_feed_at_the_search_or_filter_asked_for(client, user, query, feed_url, live):
    client.force_login(user)

    html = client.get(f"/{query}").content.decode()

    assert f'data-feed-url="{feed_url}"' in html
    assert f'data-live="{live}"' in html
