"""ui/markup.py on its own: data written for Markdown reads back as the same text, and nothing
in it can become syntax, including the links GFM finds in decoded text."""

from __future__ import annotations

import html
import re

import pytest

from ui.markup import md

WORD_JOINER = "\u2060"
# What GFM's autolink-literal transform looks for in a text node (mdast-util-gfm-autolink-
# literal): a www host or a scheme URL, and a bare e-mail address.
URL_LITERAL = re.compile(r"(?i)(https?://|www(?=\.))[-.\w]+")
EMAIL_LITERAL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+")


@pytest.mark.parametrize(
    "text",
    [
        "mail lee@example.org about it",
        "see www.example.org or https://example.org/x and ftp://host",
        "Lead: Ann <ann@team.example>",
    ],
)
def test_addresses_read_back_as_text_and_cannot_be_autolinked(text: str) -> None:
    decoded = html.unescape(md(text))  # what the transform sees
    assert decoded.replace(WORD_JOINER, "") == text
    assert not URL_LITERAL.search(decoded) and not EMAIL_LITERAL.search(decoded)
    assert URL_LITERAL.search(text) or EMAIL_LITERAL.search(text)  # the pattern would link it


def test_plain_text_gets_no_word_joiner() -> None:
    text = "The robot picks up the red cube: then it stops."
    assert WORD_JOINER not in html.unescape(md(text))


def test_a_version_or_a_handle_with_an_at_sign_is_left_alone() -> None:
    for text in ("recap@6f6750aeb054", "ping @lee", "3 @ 5 mm"):
        assert html.unescape(md(text)) == text
