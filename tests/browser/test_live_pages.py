"""Two people in two real browsers: what one does on a record page reaches the other live."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from apps.activity.models import Follow, InboxEntry
from apps.activity.services import follow_create
from apps.records.models import Deal
from apps.records.services import record_update
from tests.accounts.factories import UserFactory
from tests.records.factories import make_brief, make_client, make_deal

from .conftest import PHONE, SCREENSHOTS, off_loop, sign_in, wait_until_live

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]


def feed_ids(page: Page) -> list[str]:
    return page.locator("#feed .item").evaluate_all("items => items.map(i => i.dataset.id)")


def wait_for_inbox(user, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while InboxEntry.objects.filter(user=user).count() < count:
        assert time.monotonic() < deadline, f"fan-out did not reach {count} inbox rows"
        time.sleep(0.1)


def some_history(follower, colleague) -> None:
    """A few earlier changes on other followed records, so the feed looks like a working day."""
    client = make_client(owner=colleague, name="Northwind Traders", industry="Retail")
    brief = make_brief(owner=colleague, client=client, title="Autumn launch film")
    deal = make_deal(
        owner=colleague, client=client, name="Northwind loyalty app", stage=Deal.Stage.QUALIFICATION
    )
    for record in (client, brief, deal):
        follow_create(user=follower, stream=record.stream_key)
    record_update(record=brief, actor=colleague, data={"status": "in_review"})
    record_update(record=deal, actor=colleague, data={"stage": "proposal", "amount": "84000.00"})
    record_update(record=client, actor=colleague, data={"tier": "key"})


def test_a_stage_change_made_in_one_browser_reaches_a_followers_news_feed_live_and_survives_a_restart(
    stack, new_page
):
    follower = UserFactory(first_name="Maya", last_name="Chen", title="Account Manager")
    editor = UserFactory(first_name="Bo", last_name="Ray", title="Sales Director")
    off_loop(some_history, follower, UserFactory(first_name="Lena", last_name="Okafor", title="Producer"))
    deal = off_loop(make_deal, owner=editor)

    a = sign_in(new_page(), follower, next_path=f"/deals/{deal.pk}/")
    a.get_by_label("Notify me about").select_option(label="Stage and field changes only")
    a.get_by_role("button", name="Follow", exact=True).click()
    expect(a.get_by_role("button", name="Following")).to_be_visible()
    assert Follow.objects.get(user=follower, stream=deal.stream_key).verbs == ["Update"]

    a.goto("/")
    wait_until_live(a)
    expect(a.locator("#feed .item")).to_have_count(3)
    b = sign_in(new_page(), editor, next_path=f"/deals/{deal.pk}/")

    started = time.monotonic()
    b.get_by_label("Stage").select_option(label="Negotiation")
    live = a.locator("#feed .item").first
    expect(live.locator(".summary")).to_have_text(
        "Bo Ray moved ACME rebrand from Proposal to Negotiation", timeout=2000
    )
    print(f"stage change visible in the other browser after {time.monotonic() - started:.2f}s")
    expect(live.locator(".changes")).to_have_text("Stage: Proposal → Negotiation")
    expect(live.locator("time")).to_have_text("just now")
    expect(b.locator("#record-saved")).to_have_text("Saved.")

    # The connection is cut; two changes happen while the page is offline.
    stack.stop_daphne()
    expect(a.locator("#live-status")).to_have_attribute("data-state", "offline")
    off_loop(record_update, record=deal, actor=editor, data={"stage": "closed_won"})
    off_loop(record_update, record=deal, actor=editor, data={"stage": "closed_lost"})
    wait_for_inbox(follower, 6)
    stack.start_daphne()

    expect(a.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20000)
    expect(a.locator("#feed .item .summary")).to_have_text(
        [
            "Bo Ray moved ACME rebrand from Closed won to Closed lost",
            "Bo Ray moved ACME rebrand from Negotiation to Closed won",
            "Bo Ray moved ACME rebrand from Proposal to Negotiation",
            "Lena Okafor changed tier of Northwind Traders from Standard to Key account",
            "Lena Okafor updated stage, amount of Northwind loyalty app",
            "Lena Okafor moved Autumn launch film from Draft to In review",
        ]
    )
    ids = feed_ids(a)
    assert len(ids) == len(set(ids)) == 6
    a.wait_for_timeout(1000)  # nothing else arrives late
    assert feed_ids(a) == ids

    a.evaluate("document.querySelectorAll('.fresh').forEach(i => i.classList.remove('fresh'))")
    a.screenshot(path=SCREENSHOTS / "feed.png")
    phone = sign_in(new_page(viewport=PHONE), follower)
    expect(phone.locator("#feed .item")).to_have_count(6)
    phone.screenshot(path=SCREENSHOTS / "feed-phone.png")


def deal_with_history(owner, colleague) -> Deal:
    deal = make_deal(owner=owner)
    record_update(record=deal, actor=owner, data={"amount": "135000.00"})
    record_update(record=deal, actor=colleague, data={"close_date": "2026-12-18"})
    record_update(record=deal, actor=owner, data={"amount": "142500.00"})
    record_update(record=deal, actor=colleague, data={"close_date": "2027-01-15"})
    return deal


def test_a_stage_change_appears_live_on_another_persons_open_record_page(stack, new_page):
    watcher = UserFactory(first_name="Maya", last_name="Chen", title="Account Manager")
    editor = UserFactory(first_name="Bo", last_name="Ray", title="Sales Director")
    deal = off_loop(deal_with_history, editor, watcher)
    follow_create(user=watcher, stream=deal.stream_key)

    a = sign_in(new_page(viewport={"width": 1280, "height": 720}), watcher, next_path=f"/deals/{deal.pk}/")
    wait_until_live(a)
    expect(a.locator("#feed .item")).to_have_count(5)
    expect(a.locator("#followers")).to_contain_text("Maya Chen")
    expect(a.locator("#follower-count")).to_have_text("2")
    b = sign_in(new_page(), editor, next_path=f"/deals/{deal.pk}/")
    wait_until_live(b)

    b.get_by_label("Stage").select_option(label="Negotiation")
    expect(a.locator("#feed .item .summary").first).to_have_text(
        "Bo Ray moved ACME rebrand from Proposal to Negotiation", timeout=2000
    )
    expect(a.get_by_label("Stage")).to_have_value("negotiation")
    expect(a.locator("#feed .item")).to_have_count(6)
    expect(b.locator("#feed .item")).to_have_count(6)
    expect(a.locator("#new-items")).to_be_hidden()

    # Scrolled away from the top, the reader is told rather than moved.
    a.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    a.wait_for_function("window.scrollY > 200")
    b.get_by_label("Stage").select_option(label="Closed won")
    b.get_by_label("Stage").select_option(label="Closed lost")
    expect(a.locator("#new-items")).to_have_text("↑ 2 new items")
    expect(a.get_by_label("Stage")).to_have_value("closed_lost")
    a.locator("#new-items").click()
    expect(a.locator("#new-items")).to_be_hidden()
    a.wait_for_function("window.scrollY === 0")
    expect(a.locator("#feed .item .summary").first).to_have_text(
        "Bo Ray moved ACME rebrand from Closed won to Closed lost"
    )

    a.wait_for_timeout(2000)  # let the highlight fade before the picture
    a.screenshot(path=SCREENSHOTS / "record.png")


def test_lists_lead_to_records_and_people_whose_page_catches_up_after_a_restart(stack, new_page):
    reader = UserFactory()
    owner = UserFactory(first_name="Bo", last_name="Ray", title="Sales Director", department="Sales")
    deal = off_loop(make_deal, owner=owner)
    off_loop(record_update, record=deal, actor=owner, data={"stage": "negotiation"})

    page = sign_in(new_page(), reader, next_path="/deals/")
    page.get_by_role("link", name="ACME rebrand").click()
    page.wait_for_url(f"**/deals/{deal.pk}/")
    page.locator("#record").get_by_role("link", name="Bo Ray").click()
    page.wait_for_url(f"**/people/{owner.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bo Ray")
    expect(page.locator(".profile")).to_contain_text("Sales Director")
    expect(page.locator("#feed .item .summary")).to_have_text(
        [
            "Bo Ray moved ACME rebrand from Proposal to Negotiation",
            "Bo Ray created deal ACME rebrand",
            "Bo Ray created client ACME Corporation",
        ]
    )
    wait_until_live(page)

    # A person's page shows a stream, which is not replayed: it re-reads its newest page instead.
    stack.stop_daphne()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "offline")
    off_loop(record_update, record=deal, actor=owner, data={"stage": "closed_won"})
    stack.start_daphne()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=20000)
    expect(page.locator("#feed .item .summary")).to_have_text(
        [
            "Bo Ray moved ACME rebrand from Negotiation to Closed won",
            "Bo Ray moved ACME rebrand from Proposal to Negotiation",
            "Bo Ray created deal ACME rebrand",
            "Bo Ray created client ACME Corporation",
        ]
    )


def test_wrong_credentials_are_explained_on_the_login_form(stack, new_page):
    user = UserFactory()
    page = new_page()
    page.goto("/")
    page.wait_for_url("**/login/?next=/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Your username and password didn't match. Please try again."
    )
    expect(page.get_by_label("Username")).to_have_value(user.username)
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/login/")
