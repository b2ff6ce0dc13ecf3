"""Across two real browsers: poll tallies, best answers and like counts arrive live; a private group
is created, asked to join and the request approved; the news composer posts to a record."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from apps.activity.services import follow_create
from apps.social.models import Comment, Group, Membership, Post
from apps.social.services import group_create, join_request_create, post_create
from tests.accounts.factories import UserFactory
from tests.records.factories import make_deal
from tests.social.factories import make_comment, make_post

from .conftest import SCREENSHOTS, off_loop, sign_in, wait_until_live

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]


def post_item(page: Page, post: Post):
    return page.locator(f'#feed .item[data-type="Create"][data-object="post:{post.pk}"]')


def two_people(new_page, *, author, reader) -> tuple[Page, Page]:
    a = sign_in(new_page(), author)
    b = sign_in(new_page(), reader)
    wait_until_live(a)
    wait_until_live(b)
    return a, b


def test_two_people_vote_in_a_poll_and_each_sees_the_tally_change_live(stack, new_page):
    author = UserFactory(first_name="Ann", last_name="Lee")
    voter = UserFactory(first_name="Bo", last_name="Ray")
    follow_create(user=voter, stream=author.stream_key)
    post = off_loop(
        post_create,
        author=author,
        stream=author.stream_key,
        body="Lunch on Friday?",
        poll_choices=["Pizza", "Sushi"],
    )
    a, b = two_people(new_page, author=author, reader=voter)
    a_poll, b_poll = post_item(a, post).locator(".poll"), post_item(b, post).locator(".poll")

    def tallies(poll):
        return poll.locator("[data-tally]")

    expect(tallies(b_poll)).to_have_text(["0", "0"])

    a_poll.get_by_role("button", name="Pizza").click()
    expect(a_poll.get_by_role("button", name="Pizza")).to_have_attribute("aria-pressed", "true")
    expect(tallies(b_poll)).to_have_text(["1", "0"])
    expect(b_poll.locator("[data-poll-total]")).to_have_text("1")
    expect(b_poll.get_by_role("button", name="Pizza")).to_have_attribute("aria-pressed", "false")

    b_poll.get_by_role("button", name="Sushi").click()
    expect(tallies(a_poll)).to_have_text(["1", "1"])
    expect(a_poll.locator("[data-poll-total]")).to_have_text("2")

    # A moved vote moves the tally on the other page too.
    b_poll.get_by_role("button", name="Pizza").click()
    expect(tallies(a_poll)).to_have_text(["2", "0"])
    expect(tallies(b_poll)).to_have_text(["2", "0"])


def test_the_asker_marks_a_best_answer_and_it_shows_live_on_the_answerers_page(stack, new_page):
    asker = UserFactory(first_name="Ann", last_name="Lee")
    answerer = UserFactory(first_name="Bo", last_name="Ray")
    follow_create(user=answerer, stream=asker.stream_key)
    question = off_loop(
        post_create, author=asker, stream=asker.stream_key, body="Who has the Q3 deck?", is_question=True
    )
    a, b = two_people(new_page, author=asker, reader=answerer)
    a_item, b_item = post_item(a, question), post_item(b, question)
    expect(b_item.locator(".question")).to_have_text("Question · no best answer yet")

    b_item.get_by_role("button", name="Comment").click()
    b_item.get_by_label("Write a comment").fill("It is in the shared drive")
    b_item.get_by_role("button", name="Comment", exact=True).last.click()
    expect(b_item.locator(".comment .text")).to_have_text("It is in the shared drive")
    # Only the asker may choose.
    expect(b_item.locator(".comment").get_by_role("button", name="Mark best answer")).to_be_hidden()

    expect(a_item.locator(".comments-toggle")).to_have_text("1 comment")
    a_item.locator(".comments-toggle").click()
    a_item.locator(".comment").get_by_role("button", name="Mark best answer").click()
    expect(a_item.locator(".comment .best-badge")).to_have_text("✓ Best answer")
    expect(a_item.locator(".comment").get_by_role("button", name="Mark best answer")).to_be_hidden()
    expect(a_item.locator(".question")).to_have_text("✓ Best answer chosen")

    expect(b_item.locator(".question")).to_have_text("✓ Best answer chosen")
    expect(b_item.locator(".comment .best-badge")).to_be_visible()
    answer = Comment.objects.get(author=answerer)
    assert Post.objects.get(pk=question.pk).best_answer_id == answer.pk


def test_like_counts_of_a_post_and_a_comment_change_live_in_another_browser(stack, new_page):
    author = UserFactory(first_name="Ann", last_name="Lee")
    colleague = UserFactory(first_name="Bo", last_name="Ray")
    follow_create(user=colleague, stream=author.stream_key)
    post = off_loop(make_post, author=author, body="Release notes are out")
    off_loop(make_comment, activity=post.activity, author=colleague, body="Great work")
    a, b = two_people(new_page, author=author, reader=colleague)
    a_item, b_item = post_item(a, post), post_item(b, post)
    expect(a_item.locator(".actions .likers")).to_be_hidden()

    b_item.locator(".actions .like").click()
    expect(a_item.locator(".actions .likers")).to_have_text("1 like")
    # The count is everyone's; "Liked" stays the reader's own.
    expect(a_item.locator(".actions .like")).to_have_text("Like")
    a_item.locator(".actions .like").click()
    expect(b_item.locator(".actions .likers")).to_have_text("2 likes")
    expect(b_item.locator(".actions .like")).to_have_text("Liked")
    b_item.locator(".actions .like").click()
    expect(a_item.locator(".actions .likers")).to_have_text("1 like")
    expect(a_item.locator(".actions .like")).to_have_text("Liked")

    for item in (a_item, b_item):
        item.locator(".comments-toggle").click()
        expect(item.locator(".comment .like")).to_have_text("Like")
    a_item.locator(".comment .like").click()
    expect(b_item.locator(".comment .like")).to_have_text("Like · 1")
    expect(a_item.locator(".comment .like")).to_have_text("Liked · 1")


def test_a_private_group_is_created_asked_to_join_and_the_request_approved_across_two_browsers(
    stack, new_page
):
    owner = UserFactory(first_name="Ann", last_name="Lee")
    asker = UserFactory(first_name="Bo", last_name="Ray")

    a = sign_in(new_page(), owner, next_path="/groups/")
    a.get_by_label("Name").fill("Board")
    a.get_by_label("Description (optional)").fill("Budget talk")
    a.get_by_label("Private: members only; others ask to join").check()
    a.get_by_role("button", name="Create group").click()
    a.wait_for_url("**/groups/*/")
    group = Group.objects.get(name="Board")
    assert (group.is_private, group.description) == (True, "Budget talk")
    expect(a.get_by_role("heading", level=1)).to_have_text("Board")
    expect(a.locator("#join-request-list li")).to_have_count(0)
    expect(a.get_by_text("No pending requests.")).to_be_visible()

    b = sign_in(new_page(), asker, next_path="/groups/")
    b.get_by_role("link", name="Board").click()
    b.wait_for_url(f"**/groups/{group.pk}/")
    expect(b.get_by_role("heading", level=1)).to_have_text("Board")
    expect(b.locator("#member-count")).to_have_text("1")
    expect(b.locator("#feed, #members")).to_have_count(0)
    b.get_by_role("button", name="Ask to join").click()
    expect(b.get_by_role("button", name="Request sent")).to_be_disabled()
    expect(b.locator("#ask-status")).to_have_text("An admin of the group will decide.")
    wait_until_live(b)
    off_loop(join_request_create, group=group, user=UserFactory(first_name="Cy", last_name="Dee"))

    a.reload()
    wait_until_live(a)
    expect(a.locator("#join-request-count")).to_have_text("2")
    expect(a.locator("#join-request-list li")).to_have_text([re.compile("Bo Ray"), re.compile("Cy Dee")])
    a.screenshot(path=SCREENSHOTS / "group-requests.png")
    a.get_by_role("button", name="Reject Cy Dee").click()
    expect(a.locator("#join-request-status")).to_have_text("Rejected Cy Dee.")
    expect(a.locator("#join-request-count")).to_have_text("1")
    a.get_by_role("button", name="Approve Bo Ray").click()
    expect(a.locator("#join-request-status")).to_have_text("Approved Bo Ray.")
    expect(a.locator("#join-request-list li")).to_have_count(0)
    expect(a.get_by_text("No pending requests.")).to_be_visible()
    expect(a.locator("#member-count")).to_have_text("2")
    expect(a.locator("#members")).to_contain_text("Bo Ray")
    assert list(Membership.objects.filter(group=group).values_list("user__first_name", flat=True)) == [
        "Ann",
        "Bo",
    ]

    # Bo is told live, and the group opens to him.
    expect(b.locator("#bell-count")).to_have_text("1")
    b.reload()
    expect(b.get_by_role("button", name="Leave group")).to_be_visible()
    expect(b.locator("#members")).to_contain_text("Bo Ray")


def test_the_news_composer_posts_to_a_record_found_by_search(stack, new_page):
    me = UserFactory(first_name="Maya", last_name="Chen")
    deal = off_loop(make_deal, name="Northwind loyalty app")
    off_loop(make_deal, name="ACME rebrand")
    off_loop(group_create, actor=me, name="Pricing guild")

    page = sign_in(new_page(), me)
    wait_until_live(page)
    target = page.get_by_label("Post to")
    expect(target).to_have_value("My profile")
    target.click()
    places = page.get_by_role("listbox", name="Places to post")
    expect(places.get_by_role("option")).to_have_text(["My profile", "Group: Pricing guild"])
    target.fill("northw")
    expect(places.get_by_role("option")).to_have_text(["Deal: Northwind loyalty app"])
    target.press("Enter")
    expect(target).to_have_value("Deal: Northwind loyalty app")
    expect(places).to_be_hidden()

    page.get_by_label("Share an update").fill("Kick-off moved to Monday")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("#composer-status")).to_have_text("Posted.")
    expect(page.locator("#feed .item .summary").first).to_have_text(
        "Maya Chen posted on Northwind loyalty app"
    )
    assert Post.objects.get(author=me).stream == deal.stream_key
    page.goto(f"/deals/{deal.pk}/")
    expect(page.locator("#feed .item .content").first).to_have_text("Kick-off moved to Monday")
