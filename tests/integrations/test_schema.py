import pytest

pytestmark = pytest.mark.django_db


def test_schema_documents_the_event_endpoints(api, user):
    api.force_authenticate(user)

    response = api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/events/"]["post"]["requestBody"]["content"]) == {
        "application/activity+json",
        "application/ld+json",
        "application/json",
    }
    assert {"201", "400", "413", "415", "422", "429"} <= set(paths["/api/v1/events/"]["post"]["responses"])
    assert "post" in paths["/api/v1/events/batch/"]
    assert "get" in paths["/api/v1/events/{activity_id}/"]
    assert {"get", "post"} <= set(paths["/api/v1/webhooks/"])
    assert "post" in paths["/api/v1/webhooks/deliveries/{id}/redeliver/"]
    assert "post" in paths["/api/v1/webhooks/{id}/rotate-secret/"]
    header = [p for p in paths["/api/v1/events/"]["post"]["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in header] == ["Idempotency-Key"]
    assert paths["/api/v1/events/"]["post"]["security"] == [{"integrationApiKey": []}]
    assert response.json()["components"]["securitySchemes"]["integrationApiKey"]["scheme"] == "bearer"


def test_docs_page_loads_its_assets_from_this_server(api, user):
    api.force_authenticate(user)

    response = api.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html
