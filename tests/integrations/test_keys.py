import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.services import api_token_create
from apps.activity.models import Activity
from apps.integrations.models import ApiKey, IntegrationApp
from apps.integrations.selectors import api_key_for_secret
from apps.integrations.services.keys import api_key_create, api_key_revoke
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration, make_key
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db

EVENT = {"type": "Announce", "actor": {"type": "Application"}, "object": {"id": "INV-1", "name": "Invoice 1"}}


def test_key_is_prefixed_and_stored_only_as_its_sha256_digest():
    issued = make_key(scopes=["events:write"])

    stored = ApiKey.objects.get(pk=issued.key.pk)
    assert issued.secret.startswith("fh_live_")
    assert len(issued.secret) > 40
    assert stored.digest == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert stored.prefix == issued.secret[:12]
    assert issued.secret not in [getattr(stored, f.attname) for f in ApiKey._meta.concrete_fields]
    assert stored.scopes == ["events:write"]


def test_unknown_scope_is_refused():
    with pytest.raises(Exception, match="Unknown scope 'events:delete'"):
        api_key_create(integration=make_integration(), name="x", scopes=["events:delete"])
    assert ApiKey.objects.count() == 0


def test_lookup_marks_last_used_and_revocation_stops_the_key_at_once():
    issued = make_key()

    assert api_key_for_secret(raw=issued.secret) == issued.key
    assert ApiKey.objects.get(pk=issued.key.pk).last_used_at is not None
    api_key_revoke(key=issued.key)
    assert api_key_for_secret(raw=issued.secret) is None


def test_key_of_a_deactivated_integration_does_not_authenticate():
    issued = make_key()
    IntegrationApp.objects.filter(pk=issued.key.integration_id).update(is_active=False)

    assert api_key_for_secret(raw=issued.secret) is None


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer fh_live_not-a-real-key",
        "Bearer",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_events_endpoint_refuses_requests_without_a_valid_key(api, authorization):
    if authorization:
        api.credentials(HTTP_AUTHORIZATION=authorization)

    response = api.post("/api/v1/events/", EVENT, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="integrations"'
    assert Activity.objects.filter(source="api").count() == 0


def test_personal_user_token_and_session_cannot_post_events(api):
    user = UserFactory()
    token = api_token_create(user=user, name="cli")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    assert api.post("/api/v1/events/", EVENT, format="json").status_code == 401

    api.credentials()
    api.force_login(user)
    assert api.post("/api/v1/events/", EVENT, format="json").status_code == 401
    assert Activity.objects.filter(source="api").count() == 0


def test_key_without_events_write_is_forbidden_and_writes_nothing(api):
    issued = make_key(scopes=["feeds:read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    response = api.post("/api/v1/events/", EVENT, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "detail": "This API key lacks the scope(s): events:write.",
    }
    assert Activity.objects.filter(source="api").count() == 0


def test_revoked_key_is_refused_by_the_api(api):
    issued = make_key()
    api_key_revoke(key=issued.key)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    assert api.post("/api/v1/events/", EVENT, format="json").status_code == 401


def test_integration_key_does_not_open_endpoints_that_declare_no_scopes(api):
    issued = make_key(scopes=["records:read", "feeds:read", "records:write"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    for response in (
        api.get("/api/v1/feed/"),
        api.get("/api/v1/me/"),
        api.post("/api/v1/posts/", {}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json() == {
            "error": "api_key_not_accepted",
            "detail": "API keys are not accepted on this endpoint.",
        }


def test_management_command_creates_issues_lists_links_and_revokes():
    owner = UserFactory(username="ops")
    deal = make_deal()
    out = StringIO()

    call_command("integration", "create", "Billing", "--owner", "ops", stdout=out)
    integration = IntegrationApp.objects.get(name="Billing")
    assert integration.owner == owner

    out = StringIO()
    call_command(
        "integration",
        "key",
        "Billing",
        "--scope",
        "events:write",
        "--scope",
        "feeds:read",
        stdout=out,
        stderr=StringIO(),
    )
    secret = out.getvalue().strip()
    key = api_key_for_secret(raw=secret)
    assert key is not None
    assert key.scopes == ["events:write", "feeds:read"]

    call_command("integration", "link", "Billing", "INV-9", f"deal:{deal.pk}", stdout=StringIO())
    assert integration.external_objects.get().stream == f"deal:{deal.pk}"

    out = StringIO()
    call_command("integration", "list", stdout=out)
    assert f"{integration.pk}\tBilling\towner=ops" in out.getvalue()
    assert f"{key.prefix}…\tdefault\tevents:write,feeds:read\tlive" in out.getvalue()

    call_command("integration", "revoke", key.prefix, stdout=StringIO())
    assert api_key_for_secret(raw=secret) is None

    with pytest.raises(CommandError, match="No integration 'Nope'"):
        call_command("integration", "key", "Nope", "--scope", "events:write", stdout=StringIO())
