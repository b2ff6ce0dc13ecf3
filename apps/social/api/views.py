"""REST endpoints for posts, comments, likes, mentions, topics, follows and bookmarks."""

from __future__ import annotations

import zoneinfo
from typing import Any
from urllib.parse import urlencode

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import person_get
from apps.activity import registry
from apps.activity import selectors as activity_selectors
from apps.activity.api.pagination import (
    FeedFilterQuerySerializer,
    FeedPageSerializer,
    FeedQuerySerializer,
    feed_page_response,
    hydrated_items,
    parse_feed_query,
)
from apps.activity.presenters import person_to_dict
from apps.activity.services import follow_create, follow_delete
from apps.activity.verbs import Source

from .. import selectors, services
from ..kinds import MENTION
from ..models import ActivityCounts
from .serializers import (
    BodyInput,
    CommentOutput,
    CommentPageOutput,
    CommentsQuery,
    FollowInput,
    PeopleOutput,
    PostInput,
    PostOutput,
    SearchQuery,
    StreamInput,
    comment_to_dict,
    post_to_dict,
)


def _source(request: Request) -> str:
    return Source.WEB if request.auth is None else Source.API


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    body = serializer_class(data=data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _people(users: list) -> dict[str, Any]:
    return {"orderedItems": [person_to_dict(u) for u in users], "totalItems": len(users)}


class PostCreateApi(APIView):
    """Post Markdown on a stream: a record's (`deal:42`), a person's (`user:3`) or a topic's."""

    @extend_schema(request=PostInput, responses={201: PostOutput})
    def post(self, request: Request) -> Response:
        data = _valid(PostInput, request.data)
        post = services.post_create(author=request.user, source=_source(request), **data)
        return Response(post_to_dict(post), status=status.HTTP_201_CREATED)


class PostDetailApi(APIView):
    """Read, edit (author or staff) or delete (author or staff; leaves a tombstone) a post."""

    @extend_schema(responses=PostOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(post_to_dict(selectors.access_post(viewer=request.user, post_id=pk)))

    @extend_schema(request=BodyInput, responses=PostOutput)
    def patch(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        data = _valid(BodyInput, request.data)
        return Response(post_to_dict(services.post_update(post=post, actor=request.user, body=data["body"])))

    @extend_schema(request=None, responses=PostOutput)
    def delete(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        return Response(post_to_dict(services.post_delete(post=post, actor=request.user)))


class ActivityCommentsApi(APIView):
    """List the comments on an activity (oldest first, `?after=` cursor) or add one."""

    @extend_schema(parameters=[CommentsQuery], responses=CommentPageOutput)
    def get(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        query = _valid(CommentsQuery, request.query_params)
        limit = activity_selectors.clamp_limit(query.get("limit"))
        comments, liked = selectors.comment_list(
            activity=activity, viewer=request.user, after=query.get("after"), limit=limit
        )
        more = len(comments) > limit
        comments = comments[:limit]
        next_cursor = comments[-1].pk if more else None
        total = ActivityCounts.objects.filter(pk=activity.pk).values_list("comment_count", flat=True).first()
        next_url = None
        if next_cursor is not None:
            params = {**{k: v for k, v in request.query_params.items() if k != "after"}, "after": next_cursor}
            next_url = f"{request.build_absolute_uri(request.path)}?{urlencode(params)}"
        return Response(
            {
                "orderedItems": [comment_to_dict(c, liked=c.pk in liked) for c in comments],
                "totalItems": total or 0,
                "next": next_url,
                "nextCursor": next_cursor,
            }
        )

    @extend_schema(request=BodyInput, responses={201: CommentOutput})
    def post(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        data = _valid(BodyInput, request.data)
        comment = services.comment_create(
            author=request.user, activity=activity, body=data["body"], source=_source(request)
        )
        return Response(comment_to_dict(comment, liked=False), status=status.HTTP_201_CREATED)


class CommentDetailApi(APIView):
    """Edit or delete (leaves a tombstone) a comment: its author, or staff."""

    @extend_schema(request=BodyInput, responses=CommentOutput)
    def patch(self, request: Request, pk: int) -> Response:
        comment = selectors.access_comment(viewer=request.user, comment_id=pk)
        data = _valid(BodyInput, request.data)
        return Response(
            comment_to_dict(services.comment_update(comment=comment, actor=request.user, body=data["body"]))
        )

    @extend_schema(request=None, responses=CommentOutput)
    def delete(self, request: Request, pk: int) -> Response:
        comment = selectors.access_comment(viewer=request.user, comment_id=pk)
        return Response(comment_to_dict(services.comment_delete(comment=comment, actor=request.user)))


class ActivityLikeApi(APIView):
    """Like (POST) or unlike (DELETE) an activity: a post or a tracked change."""

    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        services.like_create(user=request.user, activity=activity)
        return Response(self._state(activity.pk, liked=True))

    @extend_schema(request=None, responses={200: dict})
    def delete(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        services.like_delete(user=request.user, activity=activity)
        return Response(self._state(activity.pk, liked=False))

    @staticmethod
    def _state(activity_id: int, *, liked: bool) -> dict[str, Any]:
        count = ActivityCounts.objects.filter(pk=activity_id).values_list("like_count", flat=True).first()
        return {"activity": activity_id, "liked": liked, "like_count": count or 0}


class ActivityLikersApi(APIView):
    """Who liked an activity, most recent first (up to 50)."""

    @extend_schema(responses=PeopleOutput)
    def get(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        return Response(_people(selectors.likers_list(activity=activity)))


class CommentLikeApi(APIView):
    """Like (POST) or unlike (DELETE) a comment."""

    @extend_schema(request=None, responses=CommentOutput)
    def post(self, request: Request, pk: int) -> Response:
        comment = selectors.access_comment(viewer=request.user, comment_id=pk)
        services.comment_like_create(user=request.user, comment=comment)
        comment.refresh_from_db(fields=["like_count"])
        return Response(comment_to_dict(comment, liked=True))

    @extend_schema(request=None, responses=CommentOutput)
    def delete(self, request: Request, pk: int) -> Response:
        comment = selectors.access_comment(viewer=request.user, comment_id=pk)
        services.comment_like_delete(user=request.user, comment=comment)
        comment.refresh_from_db(fields=["like_count"])
        return Response(comment_to_dict(comment, liked=False))


class CommentLikersApi(APIView):
    """Who liked a comment, most recent first (up to 50)."""

    @extend_schema(responses=PeopleOutput)
    def get(self, request: Request, pk: int) -> Response:
        comment = selectors.access_comment(viewer=request.user, comment_id=pk)
        return Response(_people(selectors.comment_likers_list(comment=comment)))


class PeopleSearchApi(APIView):
    """People whose username or name starts with `q`: @mention autocomplete."""

    @extend_schema(parameters=[SearchQuery], responses=PeopleOutput)
    def get(self, request: Request) -> Response:
        query = _valid(SearchQuery, request.query_params)
        return Response(_people(selectors.people_search(q=query.get("q", ""))))


class PersonFeedApi(APIView):
    """A person's profile feed: what they did and what was posted on their profile."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        person = person_get(viewer=request.user, pk=pk)
        query = parse_feed_query(request)
        page = activity_selectors.stream_feed(stream=person.stream_key, viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class TopicSearchApi(APIView):
    """Topics whose slug starts with `q`: #topic autocomplete."""

    @extend_schema(parameters=[SearchQuery], responses={200: dict})
    def get(self, request: Request) -> Response:
        query = _valid(SearchQuery, request.query_params)
        topics = selectors.topic_search(q=query.get("q", ""))
        return Response(
            {
                "orderedItems": [
                    {"slug": t.slug, "stream": t.stream_key, "url": f"/topics/{t.slug}/"} for t in topics
                ],
                "totalItems": len(topics),
            }
        )


class TopicFeedApi(APIView):
    """Everything that names a #topic, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request, slug: str) -> Response:
        topic = selectors.access_topic(slug=slug)
        query = parse_feed_query(request)
        page = activity_selectors.stream_feed(stream=topic.stream_key, viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class MentionsFeedApi(APIView):
    """Posts and comments that mention me, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request) -> Response:
        query = parse_feed_query(request)
        stream = f"{MENTION}:{request.user.pk}"
        page = activity_selectors.stream_feed(stream=stream, viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class CompanyFeedApi(APIView):
    """Everything in the company I may see, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request) -> Response:
        query = parse_feed_query(request)
        page = activity_selectors.company_feed(viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class BookmarksFeedApi(APIView):
    """What I bookmarked, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request) -> Response:
        query = parse_feed_query(request)
        page = selectors.bookmarks_feed(viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class BookmarkApi(APIView):
    """Bookmark (POST) or un-bookmark (DELETE) an activity."""

    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        services.bookmark_create(user=request.user, activity=activity)
        return Response({"activity": activity.pk, "bookmarked": True})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        services.bookmark_delete(user=request.user, activity=activity)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _require_visible_stream(request: Request, stream: str) -> None:
    if not activity_selectors.stream_visible(viewer=request.user, stream=stream):
        raise serializers.ValidationError({"stream": [f"No stream {stream!r} to follow."]})


class FollowApi(APIView):
    """Follow (POST, optionally for some verbs only) or unfollow (DELETE) any stream."""

    @extend_schema(request=FollowInput, responses={200: dict})
    def post(self, request: Request) -> Response:
        data = _valid(FollowInput, request.data)
        _require_visible_stream(request, data["stream"])
        follow = follow_create(
            user=request.user, stream=data["stream"], verbs=data.get("verbs"), muted=data["muted"]
        )
        return Response(
            {"stream": follow.stream, "following": True, "verbs": follow.verbs, "muted": follow.muted}
        )

    @extend_schema(request=StreamInput, responses={204: None})
    def delete(self, request: Request) -> Response:
        data = _valid(StreamInput, request.data)
        follow_delete(user=request.user, stream=data["stream"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class StreamFollowersApi(APIView):
    """Who follows a stream (most recent first, up to 50) and how many do."""

    @extend_schema(responses=PeopleOutput)
    def get(self, request: Request, stream: str) -> Response:
        kind = registry.kind_for(registry.split_stream(stream)[0])
        if kind is None or not kind.followable:
            raise Http404
        if not activity_selectors.stream_visible(viewer=request.user, stream=stream):
            raise Http404
        users = activity_selectors.followers_list(stream=stream)
        return Response(
            {
                "orderedItems": [person_to_dict(u) for u in users],
                "totalItems": activity_selectors.follower_count(stream=stream),
            }
        )


class SearchQueryInput(FeedQuerySerializer):
    q = serializers.CharField(max_length=200, help_text="Words to find in posts and comments.")


class SearchApi(APIView):
    """Full-text search over the posts and comments I may see, newest first."""

    @extend_schema(parameters=[SearchQueryInput], responses=FeedPageSerializer)
    def get(self, request: Request) -> Response:
        query = _valid(SearchQueryInput, request.query_params)
        page = selectors.search_feed(viewer=request.user, **query)
        return Response(feed_page_response(request, page))


class ProfileInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    department = serializers.CharField(max_length=120, required=False, allow_blank=True)
    about = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    timezone = serializers.ChoiceField(choices=sorted(zoneinfo.available_timezones()), required=False)


def profile_to_dict(person: Any, *, viewer: Any) -> dict[str, Any]:
    stream = person.stream_key
    return {
        **person_to_dict(person),
        "department": person.department,
        "about": person.about,
        "timezone": person.timezone,
        "manager": person_to_dict(person.manager),
        "stream": stream,
        "followers": activity_selectors.follower_count(stream=stream),
        "following": activity_selectors.follow_get(user=viewer, stream=stream) is not None,
    }


class PersonDetailApi(APIView):
    """A person's profile; PATCH changes it (the person, or staff)."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        person = person_get(viewer=request.user, pk=pk)
        return Response(profile_to_dict(person, viewer=request.user))

    @extend_schema(request=ProfileInput, responses={200: dict})
    def patch(self, request: Request, pk: int) -> Response:
        person = person_get(viewer=request.user, pk=pk)
        body = ProfileInput(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        person = services.profile_update(person=person, actor=request.user, data=body.validated_data)
        return Response(profile_to_dict(person, viewer=request.user))


class ShareInput(serializers.Serializer):
    stream = serializers.CharField(
        max_length=100, help_text='Where to share: "user:3", "deal:42", "topic:x".'
    )
    body = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, default="", help_text="Optional Markdown note."
    )


class ActivityShareApi(APIView):
    """Share (repost) an activity onto another stream, with an optional note; emits `Announce`."""

    @extend_schema(request=ShareInput, responses={201: dict})
    def post(self, request: Request, pk: int) -> Response:
        activity = activity_selectors.access_activity(viewer=request.user, activity_id=pk)
        data = _valid(ShareInput, request.data)
        shared = services.activity_share(
            actor=request.user, activity=activity, source=_source(request), **data
        )
        shared = activity_selectors.access_activity(viewer=request.user, activity_id=shared.pk)
        return Response(hydrated_items(request, [shared])[0], status=status.HTTP_201_CREATED)


class GroupInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    is_private = serializers.BooleanField(required=False, default=False)


class MemberInput(serializers.Serializer):
    user = serializers.IntegerField(
        required=False, min_value=1, help_text="Someone else (admins only); default me."
    )


def group_to_dict(group: Any, *, member: bool | None = None) -> dict[str, Any]:
    data = {
        "id": group.pk,
        "type": "group",
        "name": group.name,
        "description": group.description,
        "is_private": group.is_private,
        "stream": group.stream_key,
        "url": f"/groups/{group.pk}/",
    }
    if member is not None:
        data["member"] = member
    return data


class GroupListCreateApi(APIView):
    """Groups I may see, or create one (I become its admin)."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        groups = selectors.group_list(viewer=request.user)
        return Response({"orderedItems": [group_to_dict(g) for g in groups], "totalItems": len(groups)})

    @extend_schema(request=GroupInput, responses={201: dict})
    def post(self, request: Request) -> Response:
        data = _valid(GroupInput, request.data)
        group = services.group_create(actor=request.user, **data)
        return Response(group_to_dict(group, member=True), status=status.HTTP_201_CREATED)


class GroupMembersApi(APIView):
    """List members; join (POST, or add someone as admin) or leave (DELETE, or remove someone as admin)."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        group = selectors.access_group(viewer=request.user, group_id=pk)
        members = selectors.group_members(group=group)
        return Response(
            {
                "orderedItems": [{**person_to_dict(m.user), "role": m.role} for m in members],
                "totalItems": len(members),
            }
        )

    def _target(self, request: Request) -> Any:
        data = _valid(MemberInput, request.data or {})
        if "user" not in data:
            return request.user
        return person_get(viewer=request.user, pk=data["user"])

    @extend_schema(request=MemberInput, responses={200: dict})
    def post(self, request: Request, pk: int) -> Response:
        group = selectors.access_group(viewer=request.user, group_id=pk)
        membership = services.membership_add(group=group, user=self._target(request), actor=request.user)
        return Response({"group": group.pk, "user": membership.user_id, "role": membership.role})

    @extend_schema(request=MemberInput, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        group = selectors.access_group(viewer=request.user, group_id=pk)
        services.membership_remove(group=group, user=self._target(request), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupFeedApi(APIView):
    """A group's feed: what was posted in it, newest first."""

    @extend_schema(parameters=[FeedFilterQuerySerializer], responses=FeedPageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        group = selectors.access_group(viewer=request.user, group_id=pk)
        query = parse_feed_query(request)
        page = activity_selectors.stream_feed(stream=group.stream_key, viewer=request.user, **query)
        return Response(feed_page_response(request, page))
