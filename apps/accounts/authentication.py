from rest_framework import authentication, exceptions
from rest_framework.request import Request

from feedhub.logs import set_user_id

from .selectors import user_for_token


def bearer_credential(request: Request, keywords: tuple[str, ...] = ("bearer",)) -> str | None:
    """The raw credential of an `Authorization: <keyword> <credential>` header.

    None when the header is absent or names another scheme (so the next authenticator may try);
    a malformed header (no credential, extra parts, non-ASCII) is refused outright.
    """
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].decode("latin1").lower() not in keywords:
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed("Malformed Authorization header.")
    try:
        return header[1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise exceptions.AuthenticationFailed("Malformed credential in the Authorization header.") from exc


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer fh_user_...` (or `Token ...`) for API clients."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        raw = bearer_credential(request, self.keywords)
        if raw is None:
            return None
        user = user_for_token(raw=raw)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired token.")
        set_user_id(user.pk)
        return (user, raw)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
