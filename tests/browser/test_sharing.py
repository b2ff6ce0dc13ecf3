"""Sharing a private record from its page, in real browsers: the person shared with gets in, then out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.activity.models import Activity
from apps.records.models import Deal, RecordShare, Visibility
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal

from .conftest import SCREENSHOTS, off_loop, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]


def test_owner_makes_a_deal_private_shares_it_with_a_colleague_and_takes_it_back(stack, new_page):
    owner = UserFactory(first_name="Ines", last_name="Moreau", username="ines")
    colleague = UserFactory(first_name="Tomas", last_name="Berg", username="tomas")
    deal = off_loop(make_deal, owner=owner, name="Globex renewal")
    page_url = f"/deals/{deal.pk}/"

    mine = sign_in(new_page(), owner, next_path=page_url)
    mine.get_by_label("Visible to").select_option("private")
    expect(mine.locator("#sharing-saved")).to_contain_text("Now visible to")
    assert Deal.objects.get(pk=deal.pk).visibility == Visibility.PRIVATE

    theirs = sign_in(new_page(), colleague, next_path="/")
    assert theirs.goto(page_url).status == 404

    mine.get_by_label("Share with a person").fill("tomas")
    mine.locator("#share-form").get_by_role("button", name="Share", exact=True).click()
    expect(mine.locator("#shares")).to_contain_text("Tomas Berg")
    assert RecordShare.objects.filter(record_id=deal.pk, user=colleague).exists()
    expect(mine.locator("#feed")).to_contain_text("shared Globex renewal with Tomas Berg")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    mine.locator("#sharing").screenshot(path=str(SCREENSHOTS / "record-sharing.png"))

    assert theirs.goto(page_url).status == 200
    expect(theirs.locator("#record-title")).to_have_text("Globex renewal")
    expect(theirs.get_by_label("Visible to")).to_have_count(0)  # only the owner or an admin changes it

    mine.get_by_role("button", name="Stop sharing with Tomas Berg").click()
    expect(mine.locator("#no-shares")).to_be_visible()
    assert theirs.goto(page_url).status == 404
    assert Activity.objects.filter(object_id=str(deal.pk), verb="Remove").exists()
