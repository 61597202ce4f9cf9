"""Span overlap and pairing, the eval harness's rule."""

from __future__ import annotations

import pytest

from agent.routing import overlaps, pair_spans, span_iou


def test_iou() -> None:
    assert span_iou((0, 10), (0, 10)) == 1.0
    assert span_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert span_iou((0, 5), (5, 10)) == 0.0
    assert overlaps((0, 6), (5, 10)) and not overlaps((0, 5), (5, 10))


def test_pairs_are_one_to_one_best_first() -> None:
    pred = [(0, 10), (2, 10), None, (40, 50)]
    gold = [(0, 10), (20, 30)]
    assert pair_spans(pred, gold) == [(0, 0)]
    assert pair_spans([(0, 4)], [(0, 10)]) == []  # IoU 0.4
    assert pair_spans([(0, 4)], [(0, 10)], threshold=0.0) == [(0, 0)]
    assert pair_spans([(0, 4)], [(6, 10)], threshold=0.0) == []
