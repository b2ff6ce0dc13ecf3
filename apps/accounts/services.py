"""Account writes: users and personal API tokens."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User

TOKEN_PREFIX = "fh_user_"  # noqa: S105 (a public prefix, not a secret)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def user_create(
    *,
    username: str,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    department: str = "",
    manager: User | None = None,
    is_staff: bool = False,
) -> User:
    """Create an employee account. A user without a password cannot sign in."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        title=title,
        department=department,
        manager=manager,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str) -> IssuedToken:
    """Issue a personal API token. The returned secret is never retrievable again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 4], digest=token_digest(secret)
    )
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; it stops authenticating at once."""
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
