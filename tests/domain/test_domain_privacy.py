"""Excerpts of response bodies keep their shape and lose every caller number and name."""

from __future__ import annotations

import pytest

from queuepulse.domain.privacy import redact_digits, redact_excerpt
from queuepulse.xapi.errors import excerpt

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("body", "redacted"),
    [
        ('{"value":[{"Id":57,"Caller":"+49306966601 Max Muster","Status":"Talking"}]}',
         '{"value":[{"Id":57,"Caller":"…","Status":"…"}]}'),
        ('{"value":[{"Id":57,"Caller":"+4930696', '{"value":[{"Id":57,"Caller":"…'),
        ('{"a\\"b": "x\\"+4930123456\\"", "n": 004930123456}', '{"a\\"b": "…", "n": #####}'),
        ("<html><title>502 Bad Gateway</title>call 004930123456</html>",
         "<html><title>502 Bad Gateway</title>call #####</html>"),
        ("", ""),
    ],
)
def test_redact_excerpt(body: str, redacted: str) -> None:
    assert redact_excerpt(body) == redacted


def test_short_numbers_stay_long_ones_go() -> None:
    assert redact_digits("queue 8000 agent 1001 at byte 3910, caller +493012345") == (
        "queue 8000 agent 1001 at byte 3910, caller #####"
    )


def test_every_excerpt_is_redacted() -> None:
    text = excerpt(b'{"value":[{"Caller":"+49306966601 Max"}]}')
    assert "4930" not in text
    assert "Max" not in text
    assert text.startswith('{"value":[{"Caller":')
