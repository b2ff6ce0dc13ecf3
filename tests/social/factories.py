"""Social factories go through the services, so each post and comment has its activity."""

from apps.accounts.models import User
from apps.activity.models import Activity
from apps.social.models import Comment, Post
from apps.social.services import comment_create, post_create
from tests.accounts.factories import UserFactory


def make_post(*, author: User | None = None, stream: str | None = None, body: str = "Hello **team**") -> Post:
    author = author or UserFactory()
    return post_create(author=author, stream=stream or author.stream_key, body=body)


def make_comment(*, activity: Activity, author: User | None = None, body: str = "Nice one") -> Comment:
    return comment_create(author=author or UserFactory(), activity=activity, body=body)
