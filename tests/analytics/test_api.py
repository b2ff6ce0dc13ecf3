"""The analytics REST API: shape, CSV, visibility and precise 4xx errors."""

import csv
import io

import pytest

from apps.activity.services import follow_delete
from apps.analytics.models import PulseSubscription
from apps.analytics.services import rollup_range, rollup_recent
from tests.analytics.factories import DAY1, DAY2
from tests.records.factories import make_deal

pytestmark = pytest.mark.django_db

PERIOD = f"since={DAY1}&until={DAY2}"


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_summary_counts_what_the_viewer_may_see(api, story):
    outsider = as_user(api, story.eve).get(f"/api/v1/analytics/summary/?{PERIOD}").json()
    member = as_user(api, story.cai).get(f"/api/v1/analytics/summary/?{PERIOD}").json()

    assert outsider["since"] == str(DAY1)
    assert (outsider["results"][0]["activities"], outsider["results"][0]["posts"]) == (7, 1)
    assert (member["results"][0]["activities"], member["results"][0]["posts"]) == (9, 2)
    assert outsider["results"][0]["score"] == 23


def test_top_lists_subjects_with_names_links_and_every_measure(api, story):
    body = as_user(api, story.ann).get(f"/api/v1/analytics/top/?{PERIOD}&type=record").json()

    assert [(r["subject"], r["score"]) for r in body["results"]] == [
        (story.deal.stream_key, 19),
        (story.client.stream_key, 7),
    ]
    first = body["results"][0]
    assert first == {
        "subject": story.deal.stream_key,
        "type": "deal",
        "name": "Deal X",
        "url": f"/deals/{story.deal.pk}/",
        "activities": 6,
        "posts": 1,
        "comments": 3,
        "likes": 3,
        "followers_gained": 2,
        "followers_lost": 1,
        "participants": 4,
        "median_response_seconds": 1800.0,
        "responses": 1,
        "score": 19,
    }


def test_series_and_trending(api, story):
    series = as_user(api, story.ann).get(f"/api/v1/analytics/series/?{PERIOD}").json()
    trending = api.get(f"/api/v1/analytics/trending/?since={DAY1}&until={DAY1}").json()

    assert [(d["day"], d["activities"]) for d in series["results"]] == [(str(DAY1), 5), (str(DAY2), 2)]
    assert [(t["subject"], t["rise"]) for t in trending["results"]] == [(story.deal.stream_key, 5.0)]


def test_one_subject(api, story):
    body = (
        as_user(api, story.cai).get(f"/api/v1/analytics/subjects/{story.group.stream_key}/?{PERIOD}").json()
    )

    assert body["results"][0]["name"] == "Pricing council"
    assert (body["results"][0]["activities"], body["results"][0]["followers_gained"]) == (2, 2)


def test_a_private_group_is_not_found_for_a_non_member(api, story):
    as_user(api, story.eve)

    subject = api.get(f"/api/v1/analytics/subjects/{story.group.stream_key}/?{PERIOD}")
    filtered = api.get(f"/api/v1/analytics/summary/?{PERIOD}&group={story.group.pk}")

    assert subject.status_code == 404
    assert filtered.status_code == 404
    assert filtered.json()["error"] == "not_found"


def test_group_filter_counts_what_happened_in_the_group(api, story):
    body = as_user(api, story.dee).get(f"/api/v1/analytics/summary/?{PERIOD}&group={story.group.pk}").json()

    assert (body["results"][0]["activities"], body["results"][0]["posts"]) == (2, 1)


def test_team_filter_keeps_a_managers_reports_and_their_records(api, story):
    story.bob.manager = story.ann
    story.bob.save(update_fields=["manager"])

    body = as_user(api, story.ann).get(f"/api/v1/analytics/top/?{PERIOD}&manager={story.ann.pk}").json()

    assert [r["subject"] for r in body["results"]] == [story.bob.stream_key]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=week", "period"),
        ("since=2026-03-05&until=2026-03-01", "until"),
        ("since=2026-03-01", "until"),
        ("since=yesterday&until=2026-03-01", "since"),
        ("since=2024-01-01&until=2026-03-01", "since"),
        ("period=7d&since=2026-03-01&until=2026-03-02", "period"),
        ("type=invoice", "type"),
        ("limit=0", "limit"),
        ("group=abc", "group"),
    ],
)
def test_bad_parameters_are_a_precise_400(api, user, query, field):
    response = as_user(api, user).get(f"/api/v1/analytics/top/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_error"
    assert field in body["fields"]


def test_errors_stay_json_when_csv_was_asked_for(api, user):
    response = as_user(api, user).get("/api/v1/analytics/top/?type=invoice&format=csv")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["fields"]["type"]


@pytest.mark.parametrize("path", ["summary", "top", "series"])
def test_anonymous_is_refused(api, path):
    response = api.get(f"/api/v1/analytics/{path}/")

    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_unknown_subject_kind_is_not_found(api, user):
    assert as_user(api, user).get("/api/v1/analytics/subjects/post:1/").status_code == 404
    assert api.get("/api/v1/analytics/subjects/deal:999999/").status_code == 404


def test_csv_export_has_the_same_rows_and_visibility(api, story):
    as_user(api, story.eve)

    response = api.get(f"/api/v1/analytics/top/?{PERIOD}&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["subject"], r["score"]) for r in rows] == [
        (story.deal.stream_key, "19"),
        (story.client.stream_key, "7"),
        (story.ann.stream_key, "7"),
        (story.bob.stream_key, "7"),
        ("topic:pricing", "4"),
        (story.cai.stream_key, "3"),
    ]
    assert story.dee.stream_key not in response.content.decode()
    assert story.group.stream_key not in response.content.decode()


def test_cold_spots_list_open_deals_without_activity_or_followers(api, story):
    quiet = make_deal(owner=story.bob, client=story.client, name="Quiet deal")
    rollup_range(first=DAY1, last=DAY2)

    body = as_user(api, story.ann).get(f"/api/v1/analytics/cold-spots/?{PERIOD}&days=1").json()
    later = api.get("/api/v1/analytics/cold-spots/?since=2026-03-04&until=2026-03-06&days=3").json()

    spots = {s["subject"]: s for s in body["results"]}
    assert story.deal.stream_key not in spots
    assert spots[quiet.stream_key]["reasons"] == "no_activity"
    assert spots[quiet.stream_key]["followers"] == 1
    assert spots[quiet.stream_key]["owner"] == "Bob Ray"
    went_cold = {s["subject"]: s for s in later["results"]}[story.deal.stream_key]
    assert (went_cold["reasons"], went_cold["last_activity"], went_cold["followers"]) == (
        "no_activity",
        str(DAY2),
        1,
    )


def test_pulse_opt_in(api, user):
    as_user(api, user)

    assert api.get("/api/v1/analytics/pulse/").json() == {"enabled": False}
    assert api.put("/api/v1/analytics/pulse/", {"enabled": True}, format="json").json() == {"enabled": True}
    assert PulseSubscription.objects.get(user=user).enabled is True
    assert api.put("/api/v1/analytics/pulse/", {"enabled": "maybe"}, format="json").status_code == 400


def test_top_costs_a_fixed_number_of_queries_however_many_subjects(api, story, django_assert_max_num_queries):
    for n in range(12):
        make_deal(owner=story.bob, client=story.client, name=f"Extra {n}")
    rollup_recent()
    as_user(api, story.ann)

    with django_assert_max_num_queries(14):
        response = api.get("/api/v1/analytics/top/?period=7d&limit=50")

    assert len(response.json()["results"]) > 12


def test_every_analytics_endpoint_is_in_the_openapi_schema(api, user):
    paths = as_user(api, user).get("/api/schema/", {"format": "json"}).json()["paths"]

    for name in ("summary", "series", "top", "trending", "cold-spots", "subjects/{stream}", "pulse"):
        assert "get" in paths[f"/api/v1/analytics/{name}/"]
    params = {p["name"] for p in paths["/api/v1/analytics/top/"]["get"]["parameters"]}
    assert {"period", "since", "until", "type", "department", "manager", "group", "limit", "format"} <= params


def test_a_deal_nobody_follows_is_cold_even_when_busy_from_the_next_rollup(api, story):
    follow_delete(user=story.ann, stream=story.deal.stream_key)
    before = as_user(api, story.ann).get(f"/api/v1/analytics/cold-spots/?{PERIOD}&days=2").json()
    assert story.deal.stream_key not in {s["subject"] for s in before["results"]}
    rollup_range(first=DAY2, last=DAY2)

    body = as_user(api, story.ann).get(f"/api/v1/analytics/cold-spots/?{PERIOD}&days=2").json()

    [spot] = [s for s in body["results"] if s["subject"] == story.deal.stream_key]
    assert (spot["reasons"], spot["followers"], spot["state"]) == ("no_followers", 0, "Negotiation")


def test_a_department_with_nobody_in_it_gives_zeros_not_a_server_error(api, story):
    response = as_user(api, story.ann).get(f"/api/v1/analytics/summary/?{PERIOD}&department=nobody-here")
    csv_response = as_user(api, story.ann).get(f"/api/v1/analytics/summary/?{PERIOD}&department=0&format=csv")

    assert response.status_code == 200
    assert response.json()["results"][0]["participants"] == 0
    assert csv_response.status_code == 200
