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


AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_SIZE = 256
AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# A decompression bomb (a tiny file declaring a huge canvas) is refused before decoding.
AVATAR_MAX_PIXELS = 40_000_000


def avatar_set(*, user: User, upload) -> User:
    """Store an uploaded image as the person's avatar: centre-cropped and resized to 256 px PNG.

    Raises ValidationError (field `avatar`) for files over 5 MiB, anything Pillow cannot read as
    a JPEG, PNG, GIF or WebP image, or images over 40 megapixels. The previous file is deleted.
    """
    from io import BytesIO

    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > AVATAR_MAX_BYTES:
        raise ValidationError(
            {"avatar": f"The image must be at most {AVATAR_MAX_BYTES // (1024 * 1024)} MiB."}
        )
    try:
        with Image.open(upload) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise ValidationError({"avatar": "Upload a JPEG, PNG, GIF or WebP image."})
            if probe.width * probe.height > AVATAR_MAX_PIXELS:
                raise ValidationError({"avatar": "The image has too many pixels."})
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image).convert("RGBA")
            square = ImageOps.fit(image, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError({"avatar": "Upload a JPEG, PNG, GIF or WebP image."}) from exc
    out = BytesIO()
    square.save(out, format="PNG", optimize=True)
    old = user.avatar.name if user.avatar else None
    user.avatar.save(f"{user.pk}-{secrets.token_hex(4)}.png", ContentFile(out.getvalue()), save=False)
    user.save(update_fields=["avatar"])
    if old:
        user.avatar.storage.delete(old)
    return user


def avatar_clear(*, user: User) -> User:
    """Remove the person's avatar (and its file)."""
    if user.avatar:
        user.avatar.delete(save=False)
        user.save(update_fields=["avatar"])
    return user
