"""Posting, mentioning, commenting and liking in real browsers, with the bell and the social pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from apps.activity.models import Follow
from apps.activity.services import ObjectRef, activity_publish, follow_create
from apps.activity.verbs import Verb
from apps.social.models import Bookmark, Comment, Like, Post
from apps.social.services import group_create
from tests.accounts.factories import UserFactory
from tests.social.factories import make_post

from .conftest import SCREENSHOTS, off_loop, sign_in, wait_until_live

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("e2e")]

PHONE_375 = {"width": 375, "height": 780}


def item(page: Page, index: int = 0):
    return page.locator("#feed .item").nth(index)


def test_a_post_with_a_keyboard_picked_mention_reaches_the_mentioned_persons_feed_and_bell_live(
    stack, new_page
):
    author = UserFactory(first_name="Ann", last_name="Lee", username="ann")
    reader = UserFactory(first_name="Maya", last_name="Chen", username="maya")
    UserFactory(first_name="Mark", last_name="Otto", username="mark")
    off_loop(make_post, author=author, body="Kick-off notes for #pricing")

    b = sign_in(new_page(), reader)
    wait_until_live(b)
    expect(b.locator("#bell-count")).to_be_hidden()
    expect(b.locator("#feed .empty")).to_be_visible()

    a = sign_in(new_page(), author)
    wait_until_live(a)
    box = a.get_by_label("Share an update")
    box.click()
    box.type("Great call today @ma")
    suggestions = a.get_by_role("listbox", name="Suggestions")
    expect(suggestions.get_by_role("option")).to_have_count(2)  # mark, maya (by username)
    expect(suggestions.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(suggestions.get_by_role("option", name="Maya Chen @maya")).to_have_attribute(
        "aria-selected", "true"
    )
    box.press("ArrowUp")
    box.press("ArrowDown")
    box.press("Enter")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value("Great call today @maya ")
    box.type("see #pr")
    expect(suggestions.get_by_role("option", name="#pricing")).to_be_visible()
    a.screenshot(path=SCREENSHOTS / "feed-composer.png")
    box.press("Enter")
    box.type("notes. **Bold** plan.")
    # Escape closes an open list without touching the text.
    box.type(" @zz")
    box.press("Escape")
    expect(box).to_have_value("Great call today @maya see #pricing notes. **Bold** plan. @zz")
    box.press("Backspace")
    box.press("Backspace")
    box.press("Backspace")
    a.get_by_role("button", name="Post", exact=True).click()
    expect(a.locator("#composer-status")).to_have_text("Posted.")
    expect(box).to_have_value("")

    # The mentioned person sees it arrive, and the bell ring, without a reload.
    live = item(b)
    expect(live.locator(".summary")).to_have_text("Ann Lee posted", timeout=2000)
    expect(b.locator("#bell-count")).to_have_text("1", timeout=2000)
    expect(b.locator("#bell")).to_have_attribute("aria-label", "Notifications, 1 unread")
    expect(live.locator(".content strong")).to_have_text("Bold")
    expect(live.locator(".content a", has_text="@maya")).to_have_attribute("href", f"/people/{reader.pk}/")
    expect(live.locator(".content a", has_text="#pricing")).to_have_attribute("href", "/topics/pricing/")
    expect(item(a).locator(".summary")).to_have_text("Ann Lee posted")

    b.get_by_role("button", name="Notifications, 1 unread").click()
    dropdown = b.get_by_role("region", name="Recent notifications")
    expect(dropdown.locator(".notification.unread")).to_have_count(1)
    expect(dropdown.locator(".notification .title")).to_have_text(
        "Ann Lee mentioned you in Great call today @maya see #pricing notes. **Bold** plan."
    )
    b.screenshot(path=SCREENSHOTS / "notifications-dropdown.png")
    b.keyboard.press("Escape")
    expect(dropdown).to_be_hidden()
    expect(b.locator("#bell")).to_be_focused()
    b.locator("#bell").press("Enter")
    dropdown.locator(".notification a").click()
    post = Post.objects.get(author=author, body__startswith="Great call")
    b.wait_for_url(f"**/posts/{post.pk}/")
    expect(b.locator("#feed .item .content")).to_contain_text("Great call today @maya")
    expect(b.locator("#bell-count")).to_be_hidden()


def test_comments_and_likes_made_inline_reach_the_other_browser(stack, new_page):
    author = UserFactory(first_name="Ann", last_name="Lee")
    colleague = UserFactory(first_name="Bo", last_name="Ray")
    follow_create(user=colleague, stream=author.stream_key)
    post = off_loop(make_post, author=author, body="Draft agenda for Friday")

    a = sign_in(new_page(), author)
    b = sign_in(new_page(), colleague)
    wait_until_live(a)
    wait_until_live(b)
    a_item, b_item = item(a), item(b)
    expect(b_item.locator(".content")).to_have_text("Draft agenda for Friday")

    # Bo comments; Ann (who follows her own post) sees the thread grow live.
    b_item.get_by_role("button", name="Comment").click()
    b_item.get_by_label("Write a comment").fill("Add the **budget** review please")
    b_item.get_by_role("button", name="Comment", exact=True).last.click()
    expect(b_item.locator(".comment .text")).to_have_text("Add the budget review please")
    expect(b_item.locator(".comments-toggle")).to_have_text("1 comment")
    expect(a_item.locator(".comments-toggle")).to_have_text("1 comment", timeout=2000)
    a_item.locator(".comments-toggle").click()
    expect(a_item.locator(".comment .text")).to_have_text("Add the budget review please")
    expect(a_item.locator(".comment .author")).to_have_text("Bo Ray")
    # Only the author may edit or delete a comment.
    expect(a_item.locator(".comment").get_by_role("button", name="Edit")).to_be_hidden()

    # Ann answers in her thread; Bo's open thread receives it live.
    a_item.get_by_label("Write a comment").fill("Done, added it")
    a_item.get_by_label("Write a comment").press("Control+Enter")
    expect(b_item.locator(".comment .text")).to_have_text(
        ["Add the budget review please", "Done, added it"], timeout=2000
    )

    # Likes: on the post, and on a comment, with counts and who liked.
    b_item.locator(".actions").get_by_role("button", name="Like").click()
    expect(b_item.locator(".actions .like")).to_have_attribute("aria-pressed", "true")
    expect(b_item.locator(".actions .likers")).to_have_text("1 like")
    a_item.locator(".comment").first.get_by_role("button", name="Like").click()
    expect(a_item.locator(".comment .like").first).to_have_text("Liked · 1")
    assert Like.objects.filter(user=colleague, activity_id=post.activity_id).exists()
    a.reload()
    a_item = item(a)
    expect(a_item.locator(".actions .likers")).to_have_text("1 like")
    a_item.locator(".actions .likers").click()
    expect(a_item.locator(".likers-list")).to_have_text("Liked by Bo Ray")

    # Bo edits, then deletes, his comment: the thread keeps a tombstone.
    b_comment = b_item.locator(".comment").first
    b_comment.get_by_role("button", name="Edit").click()
    b_comment.get_by_label("Edit comment").fill("Add the budget and timeline review")
    b_comment.get_by_role("button", name="Save").click()
    expect(b_comment.locator(".text")).to_have_text("Add the budget and timeline review")
    expect(b_comment.locator(".edited")).to_be_visible()
    b_comment.get_by_role("button", name="Delete").click()
    expect(b_comment.locator(".text")).to_have_text("This comment was deleted.")
    expect(b_item.locator(".comments-toggle")).to_have_text("1 comment")
    assert Comment.objects.get(author=colleague).deleted_at is not None


def test_own_posts_can_be_edited_deleted_saved_shared_and_their_thread_muted(stack, new_page):
    author = UserFactory(first_name="Ann", last_name="Lee")
    group = off_loop(group_create, actor=author, name="Design crit")
    post = off_loop(make_post, author=author, body="First *draft*")

    a = sign_in(new_page(), author)
    wait_until_live(a)
    # The post, wherever it is: its share will arrive live above it.
    first = a.locator('#feed .item[data-type="Create"][data-object^="post:"]')
    first.get_by_role("button", name="Edit").click()
    expect(first.get_by_label("Edit post")).to_have_value("First *draft*")
    first.get_by_label("Edit post").fill("Second **draft**")
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".content strong")).to_have_text("draft")
    expect(first.locator(".meta .edited")).to_be_visible()

    # Muting shows its state, which the next page load shows too; unmuting undoes both.
    expect(first.locator(".meta .muted-tag")).to_be_hidden()
    first.get_by_role("button", name="Mute thread").click()
    expect(first.locator(".actions .mute")).to_have_text("Unmute thread")
    expect(first.locator(".meta .muted-tag")).to_have_text(" · Thread muted")
    assert Follow.objects.get(user=author, stream=post.stream_key).muted is True
    a.reload()
    expect(first.locator(".actions .mute")).to_have_text("Unmute thread")
    expect(first.locator(".meta .muted-tag")).to_be_visible()
    first.get_by_role("button", name="Unmute thread").click()
    expect(first.locator(".actions .mute")).to_have_text("Mute thread")
    expect(first.locator(".meta .muted-tag")).to_be_hidden()
    assert Follow.objects.get(user=author, stream=post.stream_key).muted is False
    a.reload()
    wait_until_live(a)
    expect(first.locator(".actions .mute")).to_have_text("Mute thread")
    first.get_by_role("button", name="Mute thread").click()
    expect(first.locator(".actions .mute")).to_have_text("Unmute thread")
    first.locator(".actions .bookmark").click()
    expect(first.locator(".actions .bookmark")).to_have_text("Bookmarked")
    assert Bookmark.objects.filter(user=author).count() == 1

    first.get_by_role("button", name="Share").click()
    first.get_by_label("Share to").select_option(label="Group: Design crit")
    first.get_by_label("Add a note (optional)").fill("For Friday")
    first.locator(".share-form").get_by_role("button", name="Share").click()
    expect(first.locator(".item-status")).to_have_text("Shared to Group: Design crit.")
    expect(first.locator(".share-form")).to_be_hidden()
    a.goto(f"/groups/{group.pk}/")
    expect(item(a).locator(".content")).to_have_text("For Friday")
    expect(item(a).locator(".shared strong")).to_have_text("draft")

    a.goto("/")
    a.get_by_label("Search posts and comments").fill("drafts")
    a.get_by_role("button", name="Apply").click()
    a.wait_for_url("**/?q=drafts*")
    expect(a.locator("#feed .item .content")).to_have_text(["Second draft"])
    a.get_by_label("Show").select_option(label="Comments")
    a.get_by_role("button", name="Apply").click()
    expect(a.locator("#feed .empty")).to_have_text("Nothing matches.")

    a.goto("/bookmarks/")
    expect(a.locator("#feed .item")).to_have_count(1)
    a.goto("/")
    original = first
    original.get_by_role("button", name="Delete").click()
    original.locator(".confirm-delete").get_by_role("button", name="Delete").click()
    expect(original.locator(".content")).to_have_text("This post was deleted.")
    expect(original.locator(".actions")).to_be_hidden()
    a.reload()
    expect(original.locator(".content")).to_have_text("This post was deleted.")


HOSTILE = (
    "Hello <script>window.__pwned = 1; alert('script')</script>\n\n"
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">\n\n"
    '[click me](javascript:alert(\'link\')) and <a href="javascript:alert(1)" onclick="alert(2)">raw</a>'
)


def unsanitised_event(actor) -> None:
    """An activity whose content skipped the server's sanitiser: the browser must still be safe."""
    activity_publish(
        actor=actor,
        verb=Verb.CREATE,
        obj=ObjectRef(type="user", id=str(actor.pk), name=actor.display_name),
        summary="Raw content from elsewhere",
        payload={
            "content": '<p>raw</p><img src=x onerror="window.__pwned = 3"><script>window.__pwned = 4</script>'
            '<a href=" javascript:window.__pwned=5">link</a><svg onload="window.__pwned = 6"></svg>'
        },
    )


def test_hostile_markup_in_a_post_renders_inert(stack, new_page):
    author = UserFactory(first_name="Eve", last_name="Mallory")
    reader = UserFactory()
    follow_create(user=reader, stream=author.stream_key)
    off_loop(make_post, author=author, body=HOSTILE)
    off_loop(unsanitised_event, author)

    page = sign_in(new_page(), reader)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    wait_until_live(page)
    expect(page.locator("#feed .item")).to_have_count(2)
    off_loop(make_post, author=author, body=HOSTILE)  # and once more, arriving live
    expect(page.locator("#feed .item")).to_have_count(3, timeout=2000)

    page.wait_for_timeout(500)
    feed = page.locator("#feed")
    assert dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert feed.locator("script, img, svg, [onerror], [onclick], [onload]").count() == 0
    hrefs = feed.locator(".content a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h and "javascript" in h.lower()]
    expect(item(page).locator(".content")).to_contain_text("Hello")
    expect(item(page).locator(".content")).to_contain_text("click me")


def test_topic_and_group_pages_follow_join_and_post_live(stack, new_page):
    reader = UserFactory(first_name="Maya", last_name="Chen")
    author = UserFactory(first_name="Bo", last_name="Ray")
    group = off_loop(group_create, actor=author, name="Pricing guild", description="Where prices are argued")
    off_loop(make_post, author=author, body="New #pricing sheet is up", stream=group.stream_key)

    page = sign_in(new_page(), reader, next_path="/topics/pricing/")
    expect(page.get_by_role("heading", level=1)).to_have_text("#pricing")
    expect(item(page).locator(".content")).to_have_text("New #pricing sheet is up")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Following")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".follower-count")).to_have_text("1")
    wait_until_live(page)
    off_loop(make_post, author=author, body="Second #pricing note", stream=group.stream_key)
    expect(item(page).locator(".content")).to_have_text("Second #pricing note", timeout=2000)
    page.evaluate("document.querySelectorAll('.fresh').forEach(i => i.classList.remove('fresh'))")
    page.screenshot(path=SCREENSHOTS / "topic.png")

    page.goto("/groups/")
    page.get_by_role("link", name="Pricing guild").click()
    expect(page.locator("#member-count")).to_have_text("1")
    page.get_by_role("button", name="Join group").click()
    expect(page.get_by_role("button", name="Leave group")).to_be_visible()
    expect(page.locator("#members")).to_contain_text("Maya Chen")
    wait_until_live(page)
    page.get_by_label("Post in Pricing guild").fill("Joining to follow along")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(item(page).locator(".content")).to_have_text("Joining to follow along", timeout=3000)
    assert Post.objects.get(author=reader).stream == group.stream_key


def test_notifications_page_pages_on_its_cursor_and_marks_all_read(stack, new_page):
    reader = UserFactory(username="reader")
    author = UserFactory(first_name="Bo", last_name="Ray")
    for n in range(23):
        off_loop(make_post, author=author, body=f"Note {n} for @reader")

    page = sign_in(new_page(), reader, next_path="/notifications/")
    expect(page.locator("#bell-count")).to_have_text("23")
    expect(page.locator("#notification-list .notification")).to_have_count(20)
    page.get_by_role("button", name="Load older").click()
    expect(page.locator("#notification-list .notification")).to_have_count(23)
    page.get_by_role("button", name="Mark all read").first.click()
    expect(page.locator("#bell-count")).to_be_hidden()
    expect(page.locator("#notification-list .notification.unread")).to_have_count(0)


def test_at_phone_width_the_feed_composer_and_bell_fit_without_sideways_scrolling(stack, new_page):
    reader = UserFactory(first_name="Maya", last_name="Chen", username="maya")
    author = UserFactory(first_name="Bo", last_name="Ray")
    follow_create(user=reader, stream=author.stream_key)
    off_loop(
        make_post,
        author=author,
        body="A long-ish post with a [link](https://example.com/a/very/long/path/that/wraps) and @maya",
    )

    page = sign_in(new_page(viewport=PHONE_375), reader)
    wait_until_live(page)
    expect(page.locator("#feed .item")).to_have_count(1)
    expect(page.get_by_label("Share an update")).to_be_visible()
    page.locator("#bell").click()
    expect(page.locator("#bell-panel .notification")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    panel = page.locator("#bell-panel").bounding_box()
    assert panel is not None
    assert panel["x"] >= 0
    assert panel["x"] + panel["width"] <= 375
    page.screenshot(path=SCREENSHOTS / "mobile.png")
    page.keyboard.press("Escape")
    # Keyboard: the first actions of the item are reachable with Tab and show a focus ring.
    item(page).locator(".actions .like").focus()
    outline = item(page).locator(".actions .like").evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline != "none"
