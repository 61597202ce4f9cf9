"""Hostile strings for the pages: what a manifest, a model or a reviewer could write to make the
page load, run or show something it should not. Each names a listener (`{url}`, a server the
test starts on 127.0.0.1) so that any request it causes is seen, and carries a marker word
(`HOSTILE`) so that any element it manages to create can be found."""

from __future__ import annotations

from agent.untrusted import visible

CORPUS = (
    "<img src={url}/html-img onerror=\"fetch('{url}/onerror')\"> HOSTILE-img",
    "![HOSTILE-md-image]({url}/md-img)",
    '[HOSTILE-md-link]({url}/md-link "title")',
    "<{url}/autolink> HOSTILE-autolink",
    "bare {url}/bare-url and www.example.org and mail@example.org HOSTILE-bare",
    "</script><script>fetch('{url}/script')</script> HOSTILE-script",
    "<svg onload=\"fetch('{url}/svg')\"></svg> HOSTILE-svg",
    '<iframe src="{url}/iframe"></iframe> HOSTILE-iframe',
    "<style>@import url({url}/css);</style> HOSTILE-style",
    '" onmouseover="fetch(\'{url}/attr-dq\')" data-x=" HOSTILE-dq',
    "' onfocus='fetch(`{url}/attr-sq`)' autofocus x=' HOSTILE-sq",
    "**HOSTILE-bold** _em_ ~~strike~~ `code` $x^2$ :red[HOSTILE-red] :material/home: <b>b</b>",
    "# HOSTILE-heading",
    "- HOSTILE-list item",
    "1. HOSTILE-ordered",
    "> HOSTILE-quote",
    "| HOSTILE-a | b |",
    "one\n\n    HOSTILE-indented code\n\n<b>after a blank line</b> ![x]({url}/after-blank)",
    "bell\x07 esc\x1b[31mHOSTILE-red\x1b[0m del\x7f",
    "abc\u202egnp.exe\u202c and \u2066HOSTILE-isolate\u2069",
    "line\u2028separator\u2029HOSTILE-sep",
    "&lt;b&gt;HOSTILE-entity&lt;/b&gt; &#60;i&#62;",
    "\\*HOSTILE-escaped\\* \\<b\\>",
    "[HOSTILE-js](javascript:fetch('{url}/js')) <a href=\"{url}/a\">a</a>",
)

# Clip ids as a manifest could have written them before ingest checked ids (stored already):
# the script on the page gets them, and the second names the placeholder the script once had.
CLIP_IDS = (
    "c</script><script>fetch('{url}/clip-id')</script>",
    "FORGET\"+fetch('{url}/clip-quote')+\"\u2028x",
)


def corpus(url: str) -> list[str]:
    return [s.replace("{url}", url) for s in CORPUS]


def clip_ids(url: str) -> list[str]:
    return [s.replace("{url}", url) for s in CLIP_IDS]


def as_text(text: str) -> str:
    """How the page must show `text`: exactly, with control and bidi characters made visible;
    spacing compared loosely (a browser collapses runs of white space)."""
    return " ".join(visible(text).split())
