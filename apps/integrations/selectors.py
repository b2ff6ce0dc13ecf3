"""Integration reads."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone

from apps.accounts.services import token_digest

from .models import ApiKey
from .services.keys import KEY_PREFIX

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_for_secret(*, raw: str) -> ApiKey | None:
    """The live key (of an active integration with an active owner) a raw secret belongs to, or None.

    Touches last_used_at at most once a minute.
    """
    if not raw.startswith(KEY_PREFIX):
        return None
    digest = token_digest(raw)
    key = (
        ApiKey.objects.select_related("integration", "integration__owner")
        .filter(
            digest=digest,
            revoked_at__isnull=True,
            integration__is_active=True,
            integration__owner__is_active=True,
        )
        .first()
    )
    # The lookup is by digest; the compare guards against any collation surprises.
    if key is None or not hmac.compare_digest(key.digest, digest):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
