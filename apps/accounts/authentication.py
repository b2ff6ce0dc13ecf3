from rest_framework import authentication, exceptions

from .selectors import user_for_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer fh_user_...` (or `Token ...`) for API clients."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed token.") from exc
        user = user_for_token(raw=raw)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid, revoked or expired token.")
        return (user, raw)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
