"""REST endpoints for posts, comments, likes, mentions, topics, follows and bookmarks."""

from __future__ import annotations

import zoneinfo
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import person_get
from apps.activity import registry
from apps.activity import selectors as activity_selectors
from apps.activity.api.fields import JsonBooleanField, JsonCharField
from apps.activity.api.pagination import (
    FeedFilterQuerySerializer,
    FeedPageSerializer,
    feed_page_response,
    hydrated_items,
    parse_feed_query,
)
from apps.activity.api.serializers import FollowOutput
from apps.activity.models import Follow
from apps.activity.presenters import follow_to_dict, person_to_dict
from apps.activity.services import follow_create, follow_delete, follow_update
from apps.activity.verbs import Source

from .. import selectors, services
from ..kinds import MENTION
from ..models import ActivityCounts, Comment, GroupJoinRequest
from ..services import autofollow, polls, questions
from .serializers import (
    AutoFollowInput,
    BestAnswerInput,
    BodyInput,
    CommentOutput,
    CommentPageOutput,
    CommentsQuery,
    FollowInput,
    FollowUpdateInput,
    JoinDecisionInput,
    PeopleOutput,
    PeopleSearchQuery,
    PollOutput,
    PostInput,
    PostOutput,
    SearchQuery,
    StreamInput,
    VoteInput,
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
        poll = data.pop("poll", None)
        post = services.post_create(
            author=request.user,
            source=_source(request),
            poll_choices=poll["choices"] if poll else None,
            poll_closes_at=poll.get("closes_at") if poll else None,
            **data,
        )
        return Response(_post_json(post, request), status=status.HTTP_201_CREATED)


def _post_json(post: Any, request: Request) -> dict[str, Any]:
    poll = selectors.poll_state(post_ids=[post.pk], viewer=request.user).get(post.pk)
    return post_to_dict(post, poll=poll)


class PostDetailApi(APIView):
    """Read, edit (author or staff) or delete (author or staff; leaves a tombstone) a post."""

    @extend_schema(responses=PostOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_post_json(selectors.access_post(viewer=request.user, post_id=pk), request))

    @extend_schema(request=BodyInput, responses=PostOutput)
    def patch(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        data = _valid(BodyInput, request.data)
        post = services.post_update(post=post, actor=request.user, body=data["body"])
        return Response(_post_json(post, request))

    @extend_schema(request=None, responses=PostOutput)
    def delete(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        return Response(_post_json(services.post_delete(post=post, actor=request.user), request))


def _poll_json(post_id: int, request: Request) -> dict[str, Any]:
    state = selectors.poll_state(post_ids=[post_id], viewer=request.user).get(post_id)
    if state is None:
        raise Http404
    return state


class PollApi(APIView):
    """A poll's tallies, whether it is closed, and my vote (a post I may see, or 404)."""

    @extend_schema(responses=PollOutput)
    def get(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        return Response(_poll_json(post.pk, request))


class PollVoteApi(APIView):
    """Vote (`{"choice": 0}`), or move my vote to another choice while the poll is open."""

    @extend_schema(request=VoteInput, responses=PollOutput)
    def post(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        data = _valid(VoteInput, request.data)
        polls.poll_vote(post=post, user=request.user, choice=data["choice"])
        return Response(_poll_json(post.pk, request))


class PollCloseApi(APIView):
    """Close a poll now (its author or staff); voters are notified (`poll_closed`)."""

    @extend_schema(request=None, responses=PollOutput)
    def post(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        state = _poll_json(post.pk, request)
        if request.user.pk != post.author_id and not request.user.is_staff:
            raise PermissionDenied
        if not state["closed"]:
            polls.poll_close(post=post, actor=request.user)
        return Response(_poll_json(post.pk, request))


class BestAnswerApi(APIView):
    """Mark (PUT `{"comment": id}`) or unmark (DELETE) a question's best answer: the asker or staff."""

    @extend_schema(request=BestAnswerInput, responses=PostOutput)
    def put(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        data = _valid(BestAnswerInput, request.data)
        comment = Comment.objects.select_related("author").filter(pk=data["comment"]).first()
        if comment is None:
            raise serializers.ValidationError({"comment": ["No such comment."]})
        post = questions.best_answer_choose(post=post, comment=comment, actor=request.user)
        return Response(_post_json(post, request))

    @extend_schema(request=None, responses=PostOutput)
    def delete(self, request: Request, pk: int) -> Response:
        post = selectors.access_post(viewer=request.user, post_id=pk)
        return Response(_post_json(questions.best_answer_clear(post=post, actor=request.user), request))


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

    @extend_schema(parameters=[PeopleSearchQuery], responses=PeopleOutput)
    def get(self, request: Request) -> Response:
        query = _valid(PeopleSearchQuery, request.query_params)
        stream = query.get("stream")
        if stream is not None and not activity_selectors.stream_visible(viewer=request.user, stream=stream):
            raise Http404
        return Response(_people(selectors.people_search(q=query.get("q", ""), stream=stream)))


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
    """Follow (POST: the settings given, defaults for the rest), change some settings of a
    follow (PATCH) or unfollow (DELETE) any stream."""

    @extend_schema(request=FollowInput, responses={200: FollowOutput})
    def post(self, request: Request) -> Response:
        data = _valid(FollowInput, request.data)
        _require_visible_stream(request, data["stream"])
        follow = follow_create(
            user=request.user,
            stream=data["stream"],
            verbs=data.get("verbs"),
            muted=data["muted"],
            include_related=data["include_related"],
        )
        return Response(follow_to_dict(follow))

    @extend_schema(request=FollowUpdateInput, responses={200: FollowOutput})
    def patch(self, request: Request) -> Response:
        data = _valid(FollowUpdateInput, request.data)
        _require_visible_stream(request, data["stream"])
        try:
            follow = follow_update(user=request.user, **data)
        except Follow.DoesNotExist:
            raise NotFound("You do not follow this stream.") from None
        return Response(follow_to_dict(follow))

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


class SearchQueryInput(FeedFilterQuerySerializer):
    q = serializers.CharField(max_length=200, help_text="Words to find in posts and comments.")
    sort = serializers.ChoiceField(
        choices=["newest", "relevance"], required=False, default="newest", help_text="Order of results."
    )
    rank_before = serializers.IntegerField(
        required=False, min_value=0, help_text="Relevance cursor: given with `before` by the previous page."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "rank_before" in attrs and ("before" not in attrs or attrs["sort"] != "relevance"):
            raise serializers.ValidationError({"rank_before": "Only with sort=relevance and before."})
        return attrs


class SearchApi(APIView):
    """Full-text search over the posts and comments I may see, newest or most relevant first.

    Feed filters apply.

    `totalItems` counts only matches I may see (`totalItemsExact` is false past 1,000 matches).
    """

    @extend_schema(parameters=[SearchQueryInput], responses=FeedPageSerializer)
    def get(self, request: Request) -> Response:
        query = _valid(SearchQueryInput, request.query_params)
        found = selectors.search_feed(
            viewer=request.user,
            q=query["q"],
            sort=query["sort"],
            rank_before=query.get("rank_before"),
            **parse_feed_query(request),
        )
        body = feed_page_response(request, found.page)
        if found.next_rank is not None:
            params = {k: v for k, v in request.query_params.items() if k not in ("before", "rank_before")}
            params.update(before=found.page.next_cursor, rank_before=found.next_rank)
            body["next"] = f"{request.build_absolute_uri(request.path)}?{urlencode(params)}"
            body["nextRank"] = found.next_rank
        body.update(totalItems=found.total, totalItemsExact=found.total_exact)
        return Response(body)


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
    name = JsonCharField(max_length=100)
    description = JsonCharField(max_length=5000, required=False, allow_blank=True, default="")
    is_private = JsonBooleanField(required=False, default=False)


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
        return Response(
            {
                "orderedItems": [group_to_dict(g, member=member) for g, member in groups],
                "totalItems": len(groups),
            }
        )

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

    @extend_schema(request=MemberInput, responses={200: dict, 202: dict})
    def post(self, request: Request, pk: int) -> Response:
        target = self._target(request)
        if target.pk == request.user.pk:
            joined = services.group_join(group=selectors.group_get_listed(group_id=pk), user=request.user)
            if isinstance(joined, GroupJoinRequest):
                return Response(join_request_to_dict(joined), status=status.HTTP_202_ACCEPTED)
            return Response({"group": pk, "user": joined.user_id, "role": joined.role})
        group = selectors.access_group(viewer=request.user, group_id=pk)
        membership = services.membership_add(group=group, user=target, actor=request.user)
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


def join_request_to_dict(join_request: GroupJoinRequest) -> dict[str, Any]:
    return {
        "id": join_request.pk,
        "group": join_request.group_id,
        "user": person_to_dict(join_request.user),
        "status": join_request.status,
        "created_at": join_request.created_at.isoformat(),
    }


class GroupJoinRequestsApi(APIView):
    """Pending requests to join a private group (its admins and staff only; others get 404)."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        group = selectors.access_group(viewer=request.user, group_id=pk)
        if not services.is_group_admin(group, request.user):
            raise Http404
        pending = selectors.join_requests_pending(group=group)
        return Response(
            {"orderedItems": [join_request_to_dict(r) for r in pending], "totalItems": len(pending)}
        )


class GroupJoinRequestDecisionApi(APIView):
    """Approve or reject a request to join (`{"decision": "approve"}`); approval adds and tells the person."""

    @extend_schema(request=JoinDecisionInput, responses={200: dict})
    def post(self, request: Request, pk: int, request_id: int) -> Response:
        group = selectors.access_group(viewer=request.user, group_id=pk)
        join_request = (
            GroupJoinRequest.objects.select_related("group", "user")
            .filter(pk=request_id, group=group)
            .first()
        )
        if join_request is None or not services.is_group_admin(group, request.user):
            raise Http404
        data = _valid(JoinDecisionInput, request.data)
        decided = services.join_request_decide(
            join_request=join_request, actor=request.user, approve=data["decision"] == "approve"
        )
        return Response(join_request_to_dict(decided))


class AutoFollowApi(APIView):
    """My auto-follow rules (all on by default); PUT changes the rules it names."""

    @extend_schema(responses=AutoFollowInput)
    def get(self, request: Request) -> Response:
        return Response(selectors.auto_follow_get(user=request.user))

    @extend_schema(request=AutoFollowInput, responses=AutoFollowInput)
    def put(self, request: Request) -> Response:
        data = _valid(AutoFollowInput, request.data)
        autofollow.auto_follow_update(user=request.user, rules=data)
        return Response(selectors.auto_follow_get(user=request.user))
