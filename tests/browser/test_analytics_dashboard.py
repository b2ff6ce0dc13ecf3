"""The analytics dashboard in a real browser: figures, charts, filters and links into the feeds."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.analytics.selectors import today
from apps.analytics.services import rollup_range
from tests.accounts.factories import UserFactory
from tests.analytics.factories import build_month

from .conftest import SCREENSHOTS, off_loop, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]


def month_of_history():
    people = [
        UserFactory(first_name=first, last_name=last, department="Sales")
        for first, last in (("Dana", "Morgan"), ("Priya", "Shah"), ("Marcus", "Reed"), ("Sofia", "Alvarez"))
    ]
    for report in people[1:]:
        report.manager = people[0]
        report.save(update_fields=["manager"])
    end = today()
    deals = build_month(today=end, people=people)
    from datetime import timedelta

    rollup_range(first=end - timedelta(days=29), last=end)
    return people[0], deals


def test_dashboard_shows_charts_filters_and_links_into_the_feeds(stack, new_page):
    manager, deals = off_loop(month_of_history)

    page = sign_in(new_page(), manager, next_path="/analytics/")
    expect(page.get_by_role("heading", name="Engagement")).to_be_visible()
    expect(page.get_by_role("link", name="Analytics")).to_have_attribute("aria-current", "page")
    activities = int(page.locator('[data-measure="activities"]').inner_text())
    assert activities > 30
    assert page.locator("svg.chart rect.bar").count() == 30
    expect(page.locator("#top-records li").first).to_be_visible()
    expect(page.locator("#trending-topics")).to_contain_text("#pricing")
    expect(page.locator("#cold-spots")).to_contain_text("Globex field trial")
    page.screenshot(path=SCREENSHOTS / "analytics-dashboard.png", full_page=True)

    page.get_by_label("Period").select_option("7d")
    page.get_by_label("Team", exact=True).select_option(label="My reports")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/analytics/?period=7d**")
    assert page.locator("svg.chart rect.bar").count() == 7
    assert int(page.locator('[data-measure="activities"]').inner_text()) < activities

    top = page.locator("#top-records li a").first
    name = top.inner_text()
    top.click()
    page.wait_for_url("**/deals/**")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
