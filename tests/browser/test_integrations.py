"""Managing an integration in a real browser: a key issued on the page works on the API until revoked."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from apps.integrations.models import IntegrationApp, WebhookDelivery
from apps.integrations.services.webhooks import webhook_subscription_create
from tests.accounts.factories import UserFactory

from .conftest import SCREENSHOTS, off_loop, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]

EVENT = {
    "type": "Create",
    "actor": {"type": "Application"},
    "object": {"type": "Invoice", "id": "INV-1001", "name": "Invoice INV-1001"},
    "summary": "Invoice INV-1001 sent",
}


def _post_event(base_url: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/api/v1/events/",
        json=EVENT,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/activity+json"},
        timeout=10,
    )


def _subscription_with_history(integration: IntegrationApp) -> None:
    """A webhook with a delivered and a failed delivery, so the page shows what a used one looks like."""
    subscription = webhook_subscription_create(
        integration=integration, url="https://hooks.example.com/feedhub", verbs=["Create", "Update"]
    )
    for n, (status, attempts, code) in enumerate([("delivered", 1, 200), ("failed", 10, 502)]):
        WebhookDelivery.objects.create(
            subscription=subscription,
            activity_id=n + 1,
            webhook_id=f"msg_screenshot{n}",
            payload={},
            status=status,
            attempts=attempts,
            last_status_code=code,
        )


def test_staff_issue_a_key_see_it_once_use_it_on_the_api_and_revoke_it(stack, new_page):
    staff = UserFactory(first_name="Ada", last_name="Quinn", username="ada", is_staff=True)

    page = sign_in(new_page(), staff, next_path="/integrations/")
    expect(page.get_by_role("link", name="Integrations")).to_have_attribute("aria-current", "page")
    page.get_by_label("Name").fill("Billing")
    page.get_by_label("Owner").fill("ada")
    page.get_by_role("button", name="Create integration").click()
    expect(page.get_by_role("heading", name="Billing", level=1)).to_be_visible()
    integration = IntegrationApp.objects.get(name="Billing")
    off_loop(_subscription_with_history, integration)

    page.reload()
    page.get_by_label("Name").fill("Invoices")
    page.get_by_label("events:write").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#revealed")).to_contain_text("API key “Invoices” created")
    secret = page.locator("#revealed-secret").inner_text()
    assert secret.startswith("fh_live_")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "integrations.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") == 375, (
        "the page scrolls sideways on a phone"
    )

    accepted = _post_event(stack.base_url, secret)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["summary"] == "Invoice INV-1001 sent"

    page.goto(f"/integrations/{integration.pk}/")
    expect(page.locator("#keys")).to_contain_text("Invoices")
    assert secret not in page.content()
    row = page.locator("#keys tbody tr", has_text="Invoices")
    expect(row.locator("td").nth(4)).not_to_contain_text("never")
    row.get_by_text("Revoke", exact=True).click()
    row.get_by_role("button", name="Revoke key").click()
    expect(page.locator("#keys tbody tr", has_text="Invoices")).to_contain_text("Revoked")

    refused = _post_event(stack.base_url, secret)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid or revoked API key."
