"""Caller numbers are personal data: keep, mask or hash them at ingestion.

The policy acts on the caller's number (the first token of ``Caller``); in ``mask`` and ``hash``
modes the display name is dropped too. Hashing is salted SHA-256 of the number alone, so the same
caller hashes the same whatever display name the PBX shows. The salt never appears in a repr.

Text about a response (the excerpt of a malformed body in an error message, an OData error
message) is not a column the policy acts on: it goes to logs, ``pipeline_health`` and
``call_events`` details, which reach more people than the caller column. So it never carries call
data, in any mode: :func:`redact_excerpt` keeps a body's shape (JSON keys, punctuation, short
numbers, markup) and blanks every string value and every run of 5 or more digits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from queuepulse.domain.parties import parse_party

if TYPE_CHECKING:
    from queuepulse.settings import PrivacySettings

__all__ = [
    "CallerPolicy", "hash_number", "mask_number", "protect_caller", "redact_digits",
    "redact_excerpt",
]

CallerMode = Literal["keep", "mask", "hash"]


@dataclass(frozen=True, slots=True)
class CallerPolicy:
    """How caller numbers are stored (``settings.privacy``)."""

    mode: CallerMode = "keep"
    salt: str = field(default="", repr=False)
    keep_digits: int = 3

    @classmethod
    def from_settings(cls, privacy: PrivacySettings) -> CallerPolicy:
        """Mirror :class:`queuepulse.settings.PrivacySettings`."""
        return cls(
            mode=privacy.caller_mode,
            salt=privacy.hash_salt.get_secret_value(),
            keep_digits=privacy.mask_keep_digits,
        )


def mask_number(number: str, keep_digits: int) -> str:
    """Replace every digit but the last ``keep_digits`` with ``*`` (other characters kept)."""
    total = sum(ch.isdigit() for ch in number)
    hide = max(total - keep_digits, 0)
    out: list[str] = []
    for ch in number:
        if ch.isdigit() and hide > 0:
            out.append("*")
            hide -= 1
        else:
            out.append(ch)
    return "".join(out)


def hash_number(number: str, salt: str) -> str:
    """``sha256:<hex>`` of salt + number."""
    return "sha256:" + hashlib.sha256((salt + number).encode("utf-8")).hexdigest()


def protect_caller(raw: str | None, policy: CallerPolicy) -> str | None:
    """Apply the policy to a raw ``Caller`` string; ``None``/empty stay as they are."""
    if policy.mode == "keep" or not raw:
        return raw
    number = parse_party(raw).dn
    if number is None:
        return None
    if policy.mode == "mask":
        return mask_number(number, policy.keep_digits)
    return hash_number(number, policy.salt)


_LONG_DIGITS = re.compile(r"\+?\d{5,}")
"""A phone number (or any long number) in text: 5 or more digits in a row."""

REDACTED_STRING = '"…"'
REDACTED_DIGITS = "#####"


def redact_digits(text: str) -> str:
    """``text`` with every run of 5 or more digits (and a leading ``+``) replaced by ``#####``."""
    return _LONG_DIGITS.sub(REDACTED_DIGITS, text)


def redact_excerpt(text: str) -> str:
    """An excerpt of a response body with no call data left in it.

    JSON object keys stay, every other double-quoted string becomes ``"…"`` (an unterminated
    one at the end, as in a truncated body, too), and long digit runs outside strings become
    ``#####``: ``{"Id":57,"Caller":"+4930123 Jo"`` → ``{"Id":57,"Caller":"…"``.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != '"':
            j = text.find('"', i)
            j = n if j < 0 else j
            out.append(redact_digits(text[i:j]))
            i = j
            continue
        j = i + 1
        while j < n and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        if j >= n:  # unterminated: the body was cut inside a string
            out.append('"…')
            break
        rest = text[j + 1 :].lstrip()
        out.append(redact_digits(text[i : j + 1]) if rest.startswith(":") else REDACTED_STRING)
        i = j + 1
    return "".join(out)
