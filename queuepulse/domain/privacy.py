"""Caller numbers and names are personal data: the one place the privacy policy acts on them.

:func:`protect_caller` splits an ActiveCalls ``Caller`` string into number and name
(:func:`queuepulse.domain.caller.split_caller`) and applies the policy to each part; the
reconciliation applies :func:`protect_number` and :func:`protect_name` to the separate number and
display name of a CDR row. Every stored ``caller_number``/``caller_name`` passes through here.

* The number is kept, masked (every digit but the last ``keep_digits`` becomes ``*``) or hashed
  (salted SHA-256 of the number alone without separators, so the same caller hashes the same
  whatever display name the PBX shows and however it writes the number). The salt never
  appears in a repr.
* The name has its own mode: ``keep``, ``mask`` (every letter of a word but its first becomes
  ``*``: ``Jane Doe`` → ``J*** D**``) or ``drop``. Unset, it follows the number: kept when
  numbers are kept, dropped when they are masked or hashed (as before names had a setting).
  While numbers are masked or hashed, a kept or masked name loses any run of 5 or more digits,
  so a number the PBX put into the name is not kept either.

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

from queuepulse.domain.caller import CallerParts, split_caller

if TYPE_CHECKING:
    from queuepulse.settings import PrivacySettings

__all__ = [
    "CallerPolicy", "hash_number", "mask_name", "mask_number", "protect_caller", "protect_name",
    "protect_number", "redact_digits", "redact_excerpt",
]

CallerMode = Literal["keep", "mask", "hash"]
NameMode = Literal["keep", "mask", "drop"]


@dataclass(frozen=True, slots=True)
class CallerPolicy:
    """How caller numbers and names are stored (``settings.privacy``).

    ``name_mode`` ``None`` follows ``mode``: ``keep`` when numbers are kept, else ``drop``.
    """

    mode: CallerMode = "keep"
    salt: str = field(default="", repr=False)
    keep_digits: int = 3
    name_mode: NameMode | None = None

    @classmethod
    def from_settings(cls, privacy: PrivacySettings) -> CallerPolicy:
        """Mirror :class:`queuepulse.settings.PrivacySettings`."""
        return cls(
            mode=privacy.caller_mode,
            salt=privacy.hash_salt.get_secret_value(),
            keep_digits=privacy.mask_keep_digits,
            name_mode=privacy.caller_name_mode,
        )

    @property
    def effective_name_mode(self) -> NameMode:
        """What happens to names: ``name_mode``, or when unset what ``mode`` implies."""
        if self.name_mode is not None:
            return self.name_mode
        return "keep" if self.mode == "keep" else "drop"


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


_SEPARATORS = re.compile(r"[ ./-]")
"""What a number may be written with between its digits (see queuepulse.domain.caller)."""


def mask_name(name: str) -> str:
    """Every character of a word but its first becomes ``*`` (whitespace kept)."""
    out: list[str] = []
    word_start = True
    for ch in name:
        if ch.isspace():
            out.append(ch)
            word_start = True
        else:
            out.append(ch if word_start else "*")
            word_start = False
    return "".join(out)


def protect_number(number: str | None, policy: CallerPolicy) -> str | None:
    """A caller number (or any external number) as the policy stores it; empty gives ``None``."""
    if not number:
        return None
    if policy.mode == "keep":
        return number
    if policy.mode == "mask":
        return mask_number(number, policy.keep_digits)
    # the same number written with separators (+49 30 123, +4930123) hashes the same
    return hash_number(_SEPARATORS.sub("", number), policy.salt)


def protect_name(name: str | None, policy: CallerPolicy) -> str | None:
    """A caller's display name as the policy stores it; empty gives ``None``."""
    mode = policy.effective_name_mode
    if not name or mode == "drop":
        return None
    if policy.mode != "keep":  # numbers are protected: none may hide in the name
        name = redact_digits(name)
    return mask_name(name) if mode == "mask" else name


def protect_caller(raw: str | None, policy: CallerPolicy) -> CallerParts:
    """Split a raw ``Caller`` string into number and name and apply the policy to both."""
    parts = split_caller(raw)
    return CallerParts(protect_number(parts.number, policy), protect_name(parts.name, policy))


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
