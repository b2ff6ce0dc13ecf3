"""Account reads."""

import hmac
from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from .models import ApiToken, User
from .services import TOKEN_PREFIX, token_digest

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_token(*, raw: str) -> User | None:
    """The active user a raw API token belongs to, or None. Touches last-used at most once a minute."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    digest = token_digest(raw)
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    # The lookup is by digest; the compare guards against any collation surprises.
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def person_get(*, viewer: User, pk: int) -> User:
    """An active colleague's profile, or 404. Every employee may see every other's profile."""
    person = User.objects.filter(pk=pk, is_active=True).select_related("manager").first()
    if person is None:
        raise Http404
    return person
