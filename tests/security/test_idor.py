"""The IDOR sweep: every API endpoint that names an object, tried by someone else with the owner's ids.

Endpoints are read from the URL configuration, so a new one is swept (or this test fails, asking
how to make a private object for it). An object the caller may not see answers 404 for every
method, exactly as an id that does not exist: a 403 would confirm it exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.activity.models import Activity
from apps.activity.services import ObjectRef, activity_publish
from apps.integrations.models import WebhookDelivery
from apps.integrations.services.webhooks import webhook_subscription_create
from apps.notifications.models import Notification
from apps.records.models import Visibility
from apps.social.services import comment_create, group_create, join_request_create, post_create
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration, make_key
from tests.records.factories import make_brief, make_client, make_deal

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
# A body that would pass validation almost anywhere, so a 400 cannot stand in for the 404.
ANY_BODY = {"body": "hello", "stage": "negotiation", "name": "x", "verbs": [], "url": "https://example.com/h"}

# Company-wide by design: people and topics. Their feeds filter each item by visibility
# (checked below); changing another person's profile is refused, since the profile is visible.
PUBLIC = {
    ("api/v1/people/<int:pk>/", "get"): 200,
    ("api/v1/people/<int:pk>/", "patch"): 403,
    ("api/v1/people/<int:pk>/feed/", "get"): 200,
    ("api/v1/topics/<str:slug>/feed/", "get"): 200,
    # Private groups are listed by name so people can ask to join: joining files a join request
    # (members, feed and posts stay 404).
    ("api/v1/groups/<int:pk>/members/", "post"): 202,
}


@dataclass
class Owned:
    """Things one person owns that another may not see."""

    owner: object
    client: object
    brief: object
    deal: object
    post: object
    comment: object
    group: object
    subscription: object
    delivery: object
    notification: object
    event: Activity
    join_request: object


def _owned() -> Owned:
    owner = UserFactory()
    client = make_client(owner=owner, visibility=Visibility.PRIVATE)
    brief = make_brief(owner=owner, client=client)
    deal = make_deal(owner=owner, client=client)
    post = post_create(author=owner, stream=deal.stream_key, body="secret numbers #pricing")
    activity = Activity.objects.get(object_type="post", object_id=str(post.pk))
    comment = comment_create(author=owner, activity=activity, body="more secrets")
    group = group_create(actor=owner, name="Board", is_private=True)
    integration = make_integration(owner=owner)
    subscription = webhook_subscription_create(integration=integration, url="https://hooks.example.com/in")
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, activity_id=activity.pk, webhook_id="msg_sweep", payload={}
    )
    notification = Notification.objects.create(
        recipient=owner, reason="record_changed", target=deal.stream_key, activity=activity
    )
    event = activity_publish(
        actor=owner,
        verb="Update",
        obj=ObjectRef("deal", str(deal.pk), deal.name),
        source="api",
        source_client=str(integration.pk),
    )
    join_request = join_request_create(group=group, user=UserFactory())
    return Owned(
        owner,
        client,
        brief,
        deal,
        post,
        comment,
        group,
        subscription,
        delivery,
        notification,
        event,
        join_request,
    )


# How to fill each route's parameters with the owner's ids (first matching prefix wins).
ROUTES: list[tuple[str, Callable[[Owned], dict]]] = [
    (r"api/v1/clients/.*grantee_id", lambda o: {"pk": o.client.pk, "grantee_id": o.owner.pk}),
    (r"api/v1/briefs/.*grantee_id", lambda o: {"pk": o.brief.pk, "grantee_id": o.owner.pk}),
    (r"api/v1/deals/.*grantee_id", lambda o: {"pk": o.deal.pk, "grantee_id": o.owner.pk}),
    (r"api/v1/clients/", lambda o: {"pk": o.client.pk}),
    (r"api/v1/briefs/", lambda o: {"pk": o.brief.pk}),
    (r"api/v1/deals/", lambda o: {"pk": o.deal.pk}),
    (r"api/v1/posts/", lambda o: {"pk": o.post.pk}),
    (r"api/v1/activities/", lambda o: {"pk": o.post.activity_id}),
    (r"api/v1/comments/", lambda o: {"pk": o.comment.pk}),
    (r"api/v1/groups/.*request_id", lambda o: {"pk": o.group.pk, "request_id": o.join_request.pk}),
    (r"api/v1/groups/", lambda o: {"pk": o.group.pk}),
    (r"api/v1/streams/", lambda o: {"stream": o.deal.stream_key}),
    (r"api/v1/events/", lambda o: {"activity_id": o.event.pk}),
    (r"api/v1/webhooks/deliveries/", lambda o: {"pk": o.delivery.pk}),
    (r"api/v1/webhooks/", lambda o: {"pk": o.subscription.pk}),
    (r"api/v1/notifications/", lambda o: {"pk": o.notification.pk}),
    (r"api/v1/people/", lambda o: {"pk": o.owner.pk}),
    (r"api/v1/topics/", lambda o: {"slug": "pricing"}),
    (r"api/v1/analytics/subjects/", lambda o: {"stream": o.deal.stream_key}),
]
# Integration endpoints authenticate with an API key rather than a person's session.
KEY_ROUTES = re.compile(r"api/v1/(events|webhooks)/")


def _routes(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def object_endpoints() -> list[tuple[str, URLPattern, str]]:
    """(route, pattern, method) for every API view whose URL names an object."""
    found = []
    for route, pattern in _routes(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None)
        if not route.startswith("api/v1/") or "<" not in route or view is None:
            continue
        found += [(route, pattern, m) for m in METHODS if hasattr(view, m)]
    return found


def _url(route: str, kwargs: dict) -> str:
    def fill(match: re.Match) -> str:
        return str(kwargs[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


def test_every_object_endpoint_answers_404_to_someone_who_may_not_see_the_object():
    owned = _owned()
    intruder = UserFactory()
    key = make_key(
        integration=make_integration(owner=intruder),
        scopes=["events:write", "feeds:read", "records:read", "records:write", "webhooks:manage"],
    )
    uncovered, wrong = [], []
    endpoints = object_endpoints()
    assert len(endpoints) > 30  # the sweep found the API

    for route, pattern, method in endpoints:
        filler = next((fill for prefix, fill in ROUTES if re.match(prefix, route)), None)
        if filler is None:
            uncovered.append(route)
            continue
        kwargs = {**filler(owned), **pattern.default_args}
        kwargs = {k: v for k, v in kwargs.items() if re.search(rf"<(\w+:)?{k}>", route)}
        api = APIClient()
        if KEY_ROUTES.match(route):
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key.secret}")
        else:
            api.force_authenticate(intruder)
        response = getattr(api, method)(_url(route, kwargs), ANY_BODY, format="json")
        expected = PUBLIC.get((route, method), 404)
        if response.status_code != expected:
            wrong.append(f"{method.upper()} {route}: {response.status_code}, expected {expected}")
        elif expected == 404:
            assert response.json()["error"] == "not_found", route

    assert uncovered == [], "add these endpoints to ROUTES (or PUBLIC, with a reason)"
    assert wrong == []


def test_public_profile_and_topic_feeds_carry_none_of_the_private_items():
    owned = _owned()
    api = APIClient()
    api.force_authenticate(UserFactory())

    items = api.get(f"/api/v1/people/{owned.owner.pk}/feed/").json()["orderedItems"]
    items += api.get("/api/v1/topics/pricing/feed/").json()["orderedItems"]

    assert owned.deal.name not in str(items)
    assert "secret" not in str(items)


def test_the_owner_gets_what_the_intruder_was_refused():
    owned = _owned()
    api = APIClient()
    api.force_authenticate(owned.owner)

    assert api.get(f"/api/v1/deals/{owned.deal.pk}/").status_code == 200
    assert api.get(f"/api/v1/posts/{owned.post.pk}/").status_code == 200
    assert api.get(f"/api/v1/groups/{owned.group.pk}/members/").status_code == 200
    assert "secret numbers" in str(api.get(f"/api/v1/people/{owned.owner.pk}/feed/").json())
