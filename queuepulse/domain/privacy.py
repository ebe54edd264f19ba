"""Caller numbers are personal data: keep, mask or hash them at ingestion.

The policy acts on the caller's number (the first token of ``Caller``); in ``mask`` and ``hash``
modes the display name is dropped too. Hashing is salted SHA-256 of the number alone, so the same
caller hashes the same whatever display name the PBX shows. The salt never appears in a repr.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from queuepulse.domain.parties import parse_party

if TYPE_CHECKING:
    from queuepulse.settings import PrivacySettings

__all__ = ["CallerPolicy", "hash_number", "mask_number", "protect_caller"]

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
