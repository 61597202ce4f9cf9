"""The review page's guideline: the one in force for this page server (`recap review
--guidelines FILE`, else RECAP_GUIDELINES, else a guidelines.toml beside the prompts, else the
built-in), its panel in the sidebar (version, where it comes from, its prose) and its linter's
warnings under the rewrite box.

A guideline file that cannot be loaded never takes the page down: the sidebar says which file
and why, and the page lints with the built-in guideline meanwhile, saying so. The file is read
again when it changes (`agent.guidelines.load_guidelines` keys its cache on the file's mtime).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from agent.guidelines import (
    BROKEN,
    GuidelineError,
    Guidelines,
    GuidelineSource,
    LintWarning,
    default_guidelines,
    guidelines_source,
    load_guidelines,
)
from agent.settings import Settings
from ui.markup import md

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageGuideline:
    """The guideline the page lints with, where it was chosen, and, when the chosen file could
    not be loaded, why (the built-in is in force instead)."""

    guidelines: Guidelines
    source: GuidelineSource
    problem: str | None = None

    @property
    def fallback(self) -> bool:
        return self.problem is not None


def page_guideline(settings: Settings) -> PageGuideline:
    """The guideline in force for the page, or the built-in with the reason the chosen file
    could not be used (never raises for a bad file)."""
    source = guidelines_source(None, prompts_dir=settings.prompts_dir, prompt=settings.prompt)
    try:
        return PageGuideline(load_guidelines(source.path), source)
    except GuidelineError as e:
        return PageGuideline(default_guidelines(), source, e.message)
    except Exception as e:  # a bug in loading must not take the page down either
        log.exception("guideline %s could not be loaded", source)
        return PageGuideline(default_guidelines(), source, f"{source.path}: {e}")


def _file_name(active: PageGuideline) -> str:
    """The file's name, not its path on the server: every signed-in reviewer reads the panel
    (`recap guidelines show` on the server names the path)."""
    return active.source.path.name if active.source.path else "built-in"


def fallback_text(active: PageGuideline) -> str:
    """Why the chosen file is not in force and which guideline is, as Markdown."""
    name = _file_name(active)
    problem = (active.problem or "").replace(str(active.source.path), name)
    return (
        f"**The guideline file {md(name)} cannot be used**, so this page checks "
        f"captions with the built-in guideline ({md(active.guidelines.version)}) instead.\n\n"
        + "  \n".join(md(line) for line in problem.splitlines())
    )


def panel(active: PageGuideline) -> None:
    """The sidebar's guideline panel: which version is in force, from where, and its prose."""
    g = active.guidelines
    name = _file_name(active)
    if active.fallback:
        st.sidebar.error(fallback_text(active))
    with st.sidebar.expander(f"Caption guidelines · {md(g.version)}"):
        where = "built-in" if active.fallback else f"{name} ({active.source.chosen_by})"
        st.caption(f"Guideline **{md(g.version)}** · {md(where)}")
        st.markdown(g.prose)


def show_warnings(where: object, warnings: list[LintWarning]) -> None:
    """The linter's warnings for the text in the box; a rule that failed while checking it is
    shown apart, as broken, not as something wrong with the caption."""
    for w in warnings:
        if w.kind == BROKEN:
            where.error(  # type: ignore[attr-defined]
                f"broken rule {md(w.text)}: {md(w.message)}", icon="🛠️"
            )
        else:
            where.warning(f"{w.kind}: {md(w.message)}", icon="⚠️")  # type: ignore[attr-defined]
