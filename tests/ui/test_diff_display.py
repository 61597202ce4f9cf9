"""The word diffs on the page are spaced like text: no space before punctuation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "ui" / "review.py")


def test_the_pages_diffs_put_no_space_before_punctuation(
    review_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RECAP_DB", review_db)
    monkeypatch.setenv("RECAP_REVIEW_RUN", "r1")
    monkeypatch.setenv("RECAP_CACHE_DIR", str(tmp_path / "cache"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "ann"
    at.run()
    # c1: "... the blue cube and lifts it." drafted as "... the red cube, lifts it and places
    # it on the plate."; the comma replaces "and", the sentence keeps its full stop
    drafted = next(m.value for m in at.markdown if "original → draft" in m.value)
    assert "cube <del" in drafted and "</del><ins" in drafted  # "and" struck, "," in its place
    assert drafted.endswith("on the plate</ins>.")
    assert ' <ins style="color:#070;font-weight:600">,</ins>' not in drafted
    at.text_area(key="edit-c1").input("The robot grasps the red cube, lifts it.").run()
    edited = next(m.value for m in at.markdown if "draft → your edit" in m.value)
    assert " ." not in edited and " ," not in edited and edited.endswith(".")
