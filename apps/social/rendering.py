"""Markdown to safe HTML, with @mentions and #topics turned into links.

Sanitising is an allowlist (nh3): tags, attributes and URL schemes not named here never
survive, whatever Markdown (which passes raw HTML through) produced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.etree import ElementTree  # noqa: S405 (builds elements; parses nothing)

import markdown
import nh3
from django.utils.text import Truncator
from markdown.inlinepatterns import InlineProcessor

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"

# A mention is `@` not preceded by a word character (so e-mail addresses are not mentions).
MENTION_RE = re.compile(r"(?<![\w@.+-])@([A-Za-z0-9_][\w.+-]{0,149})")
TOPIC_RE = re.compile(r"(?<![\w#&/])#([A-Za-z][A-Za-z0-9_-]{0,49})")


def _clean_username(raw: str) -> str:
    # "@dana." at the end of a sentence mentions dana.
    return raw.rstrip(".")


def excerpt(body: str) -> str:
    """A one-line excerpt of a body (80 characters at most) to name a post or comment by."""
    return Truncator(" ".join(body.split())).chars(80)


def mentioned_usernames(body: str) -> list[str]:
    """Usernames written as @name in `body`, in order of first appearance, lowercased."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(body):
        seen.setdefault(_clean_username(match.group(1)).lower(), None)
    return list(seen)


def topic_slugs(body: str) -> list[str]:
    """Topics written as #name in `body`, as slugs, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in TOPIC_RE.finditer(body):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)


class _LinkProcessor(InlineProcessor):
    """Turns @name / #name into a link when `targets` knows it; leaves the text alone otherwise."""

    def __init__(self, pattern: str, targets: Mapping[str, str], sigil: str, strip_dot: bool) -> None:
        super().__init__(pattern)
        self.targets = targets
        self.sigil = sigil
        self.strip_dot = strip_dot

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API)
        name = _clean_username(m.group(1)) if self.strip_dot else m.group(1)
        href = self.targets.get(name.lower())
        if href is None:
            return None, None, None
        element = ElementTree.Element("a")
        element.set("href", href)
        element.text = f"{self.sigil}{name}"
        return element, m.start(0), m.start(0) + len(self.sigil) + len(name)


def render_markdown(
    body: str, *, mention_urls: Mapping[str, str] | None = None, topic_urls: Mapping[str, str] | None = None
) -> str:
    """Render Markdown to sanitised HTML; known @mentions and #topics become links.

    `mention_urls` maps lowercased usernames to profile URLs, `topic_urls` slugs to topic URLs.
    """
    md = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"])
    md.inlinePatterns.register(
        _LinkProcessor(MENTION_RE.pattern, mention_urls or {}, "@", strip_dot=True), "feedhub_mention", 175
    )
    md.inlinePatterns.register(
        _LinkProcessor(TOPIC_RE.pattern, topic_urls or {}, "#", strip_dot=False), "feedhub_topic", 174
    )
    return sanitize_html(md.convert(body))


def sanitize_html(html: str) -> str:
    """Keep only allowlisted tags, attributes and URL schemes; links get rel="nofollow noopener"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
        attribute_filter=_encode_url_brackets,
    )


def _encode_url_brackets(tag: str, attribute: str, value: str) -> str:
    # Angle brackets are inert inside a quoted attribute, but a URL never needs them raw, and
    # percent-encoded (as a browser would send them) no `<script` text survives for a later
    # careless consumer of the HTML to trip over.
    if attribute in ("href", "src"):
        return value.replace("<", "%3C").replace(">", "%3E")
    return value
