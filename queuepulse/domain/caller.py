"""Caller number and caller name from the one ``Caller`` string of ActiveCalls.

The XAPI's ``Caller`` is an unformatted string: it may hold a number, a display name or both.
:func:`split_caller` is the one rule that splits it into ``(number, name)``; migration 008 splits
the stored ``queue_calls.caller`` values with the same rule written in SQL
(``queuepulse_split_caller``), and a test checks that the two agree on a table of examples.

The rule, on the text with surrounding whitespace (space, tab, CR, LF, FF, VT) removed:

1. empty (or ``None``) → no number, no name;
2. ``<name> (<number>)`` or ``<name> <<number>>`` → both (``Jane Doe (+4930123)``); the name
   may be missing (``(+4930123)``: number only);
3. ``<number>`` or ``<number> <name>`` → the number, and the name when there is one
   (``+49 30 1234567``: number only; ``100 Jane``, ``+4930123 Jane Doe``: both);
4. anything else → a name only (``Jane Doe``, ``3CX Support``, ``anonymous``).

A *number* is an optional ``+`` then digit groups joined by single spaces, dots, slashes or
hyphens (``+49 30 1234567``, ``030/123-45``). A ``*`` counts as a digit, so a number stored
masked (``+*******456``) is still a number, and ``sha256:<64 hex digits>`` (a number stored
hashed) is one too — stored values split like raw ones. Whitespace inside the number and the
name is kept as given.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["CALLER_WHITESPACE", "CallerParts", "split_caller"]

#: The whitespace the rule trims and splits on (the same six characters in SQL).
CALLER_WHITESPACE = " \t\n\r\f\v"

_WS = r"[ \t\n\r\f\v]"
_NUMBER = r"(?:sha256:[0-9a-f]{64}|\+?[0-9*]+(?:[ ./-][0-9*]+)*)"
# The same three patterns are written in SQL in schema/incremental/008-honest-names.sql.
_BRACKETED = re.compile(rf"(.*[^ \t\n\r\f\v])?{_WS}*[(<]{_WS}*({_NUMBER}){_WS}*[)>]",
                        re.DOTALL)
_LEADING = re.compile(rf"({_NUMBER})(?:{_WS}+(.*))?", re.DOTALL)


class CallerParts(NamedTuple):
    """A caller's number and display name; either may be ``None``."""

    number: str | None
    name: str | None


_NOBODY = CallerParts(None, None)


def _name(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip(CALLER_WHITESPACE) or None


def split_caller(raw: str | None) -> CallerParts:
    """Split an ActiveCalls ``Caller`` string into ``(number, name)`` (see the module doc)."""
    if raw is None:
        return _NOBODY
    text = raw.strip(CALLER_WHITESPACE)
    if not text:
        return _NOBODY
    if text[-1] in ")>":  # the bracketed form ends so (and only it needs its costlier pattern)
        m = _BRACKETED.fullmatch(text)
        if m is not None:
            return CallerParts(m.group(2), _name(m.group(1)))
    m = _LEADING.fullmatch(text)
    if m is not None:
        return CallerParts(m.group(1), _name(m.group(2)))
    return CallerParts(None, text)
