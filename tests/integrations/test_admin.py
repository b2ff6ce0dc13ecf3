import pytest

from apps.integrations.models import ApiKey
from apps.integrations.selectors import api_key_for_secret
from tests.accounts.factories import UserFactory
from tests.integrations.factories import make_integration, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_adding_a_key_in_the_admin_shows_its_secret_once_and_stores_the_digest(admin_client):
    integration = make_integration()

    response = admin_client.post(
        "/admin/integrations/apikey/add/",
        {"integration": integration.pk, "name": "from admin", "scopes": '["events:write"]'},
        follow=True,
    )

    assert response.status_code == 200
    key = ApiKey.objects.get(name="from admin")
    messages = [str(m) for m in response.context["messages"]]
    secret = messages[0].rsplit(" ", 1)[-1]
    assert messages[0].startswith("API key created. Copy it now, it is not shown again: fh_live_")
    assert api_key_for_secret(raw=secret) == key
    assert key.scopes == ["events:write"]
    assert secret not in admin_client.get(f"/admin/integrations/apikey/{key.pk}/change/").content.decode()


def test_revoke_action_revokes_the_selected_keys(admin_client):
    issued = make_key()

    admin_client.post(
        "/admin/integrations/apikey/",
        {"action": "revoke_keys", "_selected_action": [issued.key.pk]},
    )

    assert api_key_for_secret(raw=issued.secret) is None


def test_unknown_scope_is_a_form_error_in_the_admin(admin_client):
    integration = make_integration()

    response = admin_client.post(
        "/admin/integrations/apikey/add/",
        {"integration": integration.pk, "name": "bad", "scopes": '["events:delete"]'},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scopes"][0].startswith("Unknown scope 'events:delete'")
    assert ApiKey.objects.count() == 0
