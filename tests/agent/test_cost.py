import pytest

from agent.cost import Price, cost_usd, image_tokens, price_for


@pytest.mark.parametrize(
    "w,h,detail,tokens",
    [
        (1024, 1024, "high", 765),  # OpenAI's worked example: 768x768 -> 4 tiles
        (2048, 4096, "high", 1105),  # -> 1024x2048 -> 768x1536 -> 6 tiles
        (4096, 8192, "low", 85),
        (512, 512, "high", 255),  # one tile
        (1536, 576, "high", 1105),  # contact sheet 4x2 of 384x288: 3x2 tiles
        (1280, 720, "high", 1105),  # a 720p frame: shorter side < 768, 3x2 tiles
        (320, 240, "high", 255),
    ],
)
def test_openai_image_accounting(w: int, h: int, detail: str, tokens: int) -> None:
    assert image_tokens(w, h, detail) == tokens


def test_cost_uses_price_and_cached_rate() -> None:
    p = Price(2.0, 8.0, 0.5)
    assert cost_usd(1_000_000, 0, p) == pytest.approx(2.0)
    assert cost_usd(1_000_000, 1_000_000, p, cached_tokens=1_000_000) == pytest.approx(8.5)
    assert cost_usd(10, 10, None) is None


def test_price_lookup_knows_dated_snapshots_and_not_local_models() -> None:
    assert price_for("gpt-4o-2024-08-06") == price_for("gpt-4o")
    assert price_for("gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini")
    assert price_for("qwen2.5-vl-7b") is None
    assert price_for("qwen2.5-vl-7b", Price(1, 1)) == Price(1, 1)
