from agent.errors import RecapError
from agent.redact import REDACTED, redact, register_secret


def test_patterns_and_registered_values_are_scrubbed() -> None:
    assert redact("key sk-proj-abcdefgh123456 refused") == f"key {REDACTED} refused"
    assert redact("Authorization: Bearer abc.def-123456789") == f"Authorization: Bearer {REDACTED}"
    register_secret("plainsecretvalue42")
    assert "plainsecretvalue42" not in redact("token=plainsecretvalue42")


def test_errors_never_carry_a_key() -> None:
    e = RecapError(
        "Incorrect API key provided: sk-live-ABCDEFGHIJKLMN", hint="api_key=sk-live-ABCDEFGHIJKLMN"
    )
    assert "ABCDEFGHIJ" not in str(e)
