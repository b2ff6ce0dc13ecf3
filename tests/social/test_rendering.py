import re
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.social.rendering import (
    ALLOWED_TAGS,
    mentioned_usernames,
    render_markdown,
    sanitize_html,
    topic_slugs,
)


def test_markdown_becomes_html_and_links_get_nofollow():
    html = render_markdown("**big** news, see [the brief](https://example.com/b)")

    assert html == (
        '<p><strong>big</strong> news, see <a href="https://example.com/b" rel="nofollow noopener">'
        "the brief</a></p>"
    )


def test_known_mentions_and_topics_become_links_and_unknown_ones_stay_text():
    html = render_markdown(
        "Thanks @dana. and @nobody about #pricing",
        mention_urls={"dana": "/people/3/"},
        topic_urls={"pricing": "/topics/pricing/"},
    )

    assert html == (
        '<p>Thanks <a href="/people/3/" rel="nofollow noopener">@dana</a>. and @nobody about '
        '<a href="/topics/pricing/" rel="nofollow noopener">#pricing</a></p>'
    )


def test_mentions_inside_code_are_left_alone():
    html = render_markdown("`@dana` is a handle", mention_urls={"dana": "/people/3/"})

    assert html == "<p><code>@dana</code> is a handle</p>"


def test_mention_and_topic_extraction_ignores_emails_and_repeats():
    assert mentioned_usernames("cc @Dana, @bob. mail dana@example.com @dana") == ["dana", "bob"]
    assert topic_slugs("#Pricing and #q4-plan, not a#b or &#39; #pricing") == ["pricing", "q4-plan"]


def test_script_event_handlers_and_javascript_links_are_removed():
    html = render_markdown(
        '<script>alert(1)</script><img src=x onerror="alert(2)">'
        '[click](javascript:alert(3)) <a href="JaVaScRiPt:alert(4)" onclick="x()">a</a>'
    )

    assert html == '\n<p><a rel="nofollow noopener">click</a> <a rel="nofollow noopener">a</a></p>'


DANGEROUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](java\tscript:alert(1))",
    "[](",
    '<svg onload="alert(1)"></svg>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    '<p onmouseover="alert(1)">x</p>',
    "<a href='data:text/html;base64,PHNjcmlwdD4='>x</a>",
]
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see: it drops tabs and newlines anywhere and leading controls."""
    cleaned = re.sub(r"[\t\n\r]", "", value).lstrip("".join(chr(c) for c in range(0x21)))
    match = SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


class _Elements(HTMLParser):
    """Collects the real elements and attributes of a fragment (escaped text is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.found


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(DANGEROUS), st.text(alphabet="<>\"'=:/ ()[]*_`#@&;aehijlnoprstv\n", max_size=30)
        ),
        max_size=8,
    )
)
@example(parts=["[](", '<a href="javascript:alert(1)">x</a>'])  # a relative URL that looks like markup
def test_no_script_no_event_handler_no_unsafe_url_survives(parts):
    html = render_markdown("".join(parts), mention_urls={"a": "/people/1/"}, topic_urls={"a": "/topics/a/"})

    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "style", tag
            if name in ("href", "src"):
                assert url_scheme(value or "") in (None, "http", "https", "mailto"), value
    # Sanitising is idempotent: what we store is already in its final form.
    assert sanitize_html(html) == html
