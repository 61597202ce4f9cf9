"""Data on the page, escaped for where it goes, so nothing in a caption, a draft, a comment, a
name, an id or telemetry is ever read as Markdown, HTML or script.

Streamlit parses Markdown almost everywhere text is shown (`st.markdown`, `st.caption`,
`st.error`/`warning`/`info`/`success`, `st.toast`, widget and expander labels), and raw HTML
where the page asks for it. One rule covers every such place: the characters that can start
Markdown or HTML (links, images, emphasis, code, directives, maths, autolinks, entities, tags)
are written as numeric character references. CommonMark never reads a character reference as
syntax, and both Markdown and HTML turn it back into the character, so the reader sees the text
exactly as stored, in a Markdown paragraph, inside an HTML block, or in a label. GFM's autolinks
of bare e-mail addresses, `www.` hosts and `scheme://` URLs are the exception: they are found
in the decoded text, so an invisible word joiner (U+2060) follows each `@`, `www` and `:` of
`://`. Control and
bidi characters are shown as `[U+XXXX]` (agent.untrusted.visible); line breaks never reach the
Markdown source (a blank line would end an HTML block, and indentation after one would start a
code block).

- `md(text)`: anywhere Streamlit parses Markdown (and nothing else).
- `html_text(text)`: text inside the page's own HTML fragments (line breaks become `<br>`).
- `attr(text)`: an attribute value of those fragments, in double quotes.
- `script_json(value)`: a value inside a `<script>`: JSON that cannot close the script or
  break out of a string.
Plain-text elements (`st.text`, `st.code`, text areas, table cells) need none of this.
"""

from __future__ import annotations

import html
import json
import re

from agent.untrusted import visible

# Inline syntax: HTML and entities; escapes, code, emphasis, strikethrough; links and images;
# Streamlit's directives, colours, icons and emoji (`:name[...]`, `:name:`); maths; tables;
# e-mail autolinks; quotes, for text that is later put in an attribute.
_INLINE = frozenset("&<>\\`*_~[]{}:$|@#^\"'")
# What can start a block when it comes first: headings, quotes, lists, breaks, fences, tables.
_BLOCK_START = frozenset("#>-+*=|~`")
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")
# What GFM's autolink literals start from (mdast-util-gfm-autolink-literal): `www.`, a scheme's
# `://`, an address's `@` before a dotted domain; group 1 is the character a joiner follows.
_LINKABLE = re.compile(r"(?i)ww(w)(?=\.)|(:)(?=//)|(?<=[-.\w+])(@)(?=[-\w]+\.[-\w])")
_WORD_JOINER = "&#8288;"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _ref(ch: str) -> str:
    return f"&#{ord(ch)};"


def _inert(text: str) -> str:
    """`text` with every character that could be Markdown or HTML syntax written as a numeric
    character reference; line breaks are left for the caller."""
    text = visible(text, keep="\n\r\t")
    # GFM links bare addresses, www hosts and URLs found in the text *after* references are
    # decoded, so each is broken with an invisible word joiner (U+2060) after its `@`, `www`
    # or `:` instead.
    joins = {m.start(m.lastindex or 0) for m in _LINKABLE.finditer(text)}
    out = "".join(
        (_ref(c) if c in _INLINE else c) + (_WORD_JOINER if i in joins else "")
        for i, c in enumerate(text)
    )
    number = _LIST_NUMBER.match(out)
    if number:  # "1. ..." or "2) ..." first would be a list
        out = number[1] + _ref(number[2]) + out[number.end() :]
    elif out[:1] in _BLOCK_START or out[:1].isspace():
        out = _ref(out[0]) + out[1:]
    return out.replace("\t", "&#9;")


def md(text: object) -> str:
    """`text` for a place Streamlit reads as Markdown: shown as it is, on one line."""
    return _LINE_BREAK.sub(" ", _inert(str(text)))


def html_text(text: object) -> str:
    """`text` for the page's own HTML fragments: shown as it is; line breaks kept as <br>."""
    return _LINE_BREAK.sub("<br>", _inert(str(text)))


def attr(text: object) -> str:
    """`text` as a double-quoted attribute value (a tooltip): escaped, on one source line."""
    value = html.escape(visible(str(text), keep="\n\r\t"), quote=True)
    return _LINE_BREAK.sub("&#10;", value)


def script_json(value: object) -> str:
    """`value` as a JavaScript literal inside `<script>`: `</script>`, `<!--`, `&` and the line
    separators (which end a string in older engines) cannot appear in it as such."""
    text = json.dumps(value)  # ensure_ascii: U+2028/U+2029 and all non-ASCII become \\uXXXX
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
