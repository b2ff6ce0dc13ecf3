"""Server-rendered social pages; their feeds load from the REST API and stay live over the socket."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.accounts.selectors import person_get
from apps.activity import selectors as activity_selectors
from apps.activity.api.pagination import hydrated_items

from . import selectors
from .kinds import MENTION
from .services import is_group_admin


def _follow_context(*, viewer: Any, stream: str) -> dict[str, Any]:
    """What the follow button and "who follows this" list need for one stream."""
    follow = activity_selectors.follow_get(user=viewer, stream=stream)
    return {
        "follow": follow,
        "follow_stream": stream,
        "followers": activity_selectors.followers_list(stream=stream, limit=20),
        "follower_count": activity_selectors.follower_count(stream=stream),
    }


@login_required
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_get(viewer=request.user, pk=pk)
    own = person.pk == request.user.pk
    return render(
        request,
        "accounts/person.html",
        {
            "person": person,
            "stream": person.stream_key,
            "feed_url": reverse("person-feed", args=[person.pk]),
            "own": own,
            "composer_label": "Share an update" if own else f"Write on {person.display_name}'s profile",
            **_follow_context(viewer=request.user, stream=person.stream_key),
        },
    )


@login_required
def topic_page(request: HttpRequest, slug: str) -> HttpResponse:
    topic = selectors.access_topic(slug=slug)
    return render(
        request,
        "social/topic.html",
        {
            "topic": topic,
            "stream": topic.stream_key,
            "feed_url": reverse("topic-feed", args=[topic.slug]),
            **_follow_context(viewer=request.user, stream=topic.stream_key),
        },
    )


@login_required
def group_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "social/group_list.html", {"groups": selectors.group_list(viewer=request.user)})


@login_required
def group_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A group's page. Someone who may not see a private group gets its listed face only (name,
    description, member count and "Ask to join"); its admins also see pending requests to join."""
    group = selectors.group_get_listed(group_id=pk)
    member_count = selectors.group_member_count(group=group)
    if not selectors.group_visible(viewer=request.user, group=group):
        return render(
            request,
            "social/group_outsider.html",
            {
                "group": group,
                "member_count": member_count,
                "pending": selectors.join_request_pending_get(group=group, user=request.user),
            },
        )
    is_admin = is_group_admin(group, request.user)
    return render(
        request,
        "social/group.html",
        {
            "group": group,
            "membership": selectors.membership_get(group=group, user=request.user),
            "members": selectors.group_members(group=group, limit=50),
            "member_count": member_count,
            "join_requests": selectors.join_requests_pending(group=group) if is_admin else [],
            "is_admin": is_admin,
            "stream": group.stream_key,
            "feed_url": reverse("group-feed", args=[group.pk]),
        },
    )


@login_required
def bookmarks_page(request: HttpRequest) -> HttpResponse:
    return render(request, "social/bookmarks.html", {"feed_url": reverse("bookmarks-feed")})


@login_required
def mentions_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "social/mentions.html",
        {"feed_url": reverse("mentions-feed"), "stream": f"{MENTION}:{request.user.pk}"},
    )


@login_required
def post_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One post with its comments open; a notification about a post links here."""
    post = selectors.access_post(viewer=request.user, post_id=pk)
    items = []
    if post.activity_id is not None:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=post.activity_id)
        items = hydrated_items(request, [activity])
    return render(
        request,
        "social/post.html",
        {"post": post, "stream": post.stream_key, "items": items},
    )
