"""ActiveCalls ``Caller`` strings (and stored pre-0.2 ``caller`` values) and how they split.

One table for the Python rule (``queuepulse.domain.caller.split_caller``) and its SQL twin
(``queuepulse_split_caller`` of migration 008), which must agree on every row.
"""

from __future__ import annotations

HASH = "sha256:" + "0123456789abcdef" * 4

#: (raw, expected number, expected name)
EXAMPLES: list[tuple[str | None, str | None, str | None]] = [
    # nothing
    (None, None, None),
    ("", None, None),
    ("   ", None, None),
    ("\t\r\n \f\v", None, None),
    # a number alone, however written
    ("+49 30 1234567", "+49 30 1234567", None),
    ("+4930123456", "+4930123456", None),
    ("  004930123456  ", "004930123456", None),
    ("030/123-45.67", "030/123-45.67", None),
    ("100", "100", None),
    # a name alone
    ("Jane Doe", None, "Jane Doe"),
    ("anonymous", None, "anonymous"),
    ("3CX Support", None, "3CX Support"),
    ("Müller, Jürgen", None, "Müller, Jürgen"),
    ("+", None, "+"),
    ("Jane 0301234567", None, "Jane 0301234567"),  # a number after the name is not split off
    # number then name
    ("100 Jane", "100", "Jane"),
    ("+4930123 Jane Doe", "+4930123", "Jane Doe"),
    ("+49 30 1234567 Jane Doe", "+49 30 1234567", "Jane Doe"),
    ("101 2nd floor", "101", "2nd floor"),
    ('0123 Jürgen "JJ"', "0123", 'Jürgen "JJ"'),
    ("800 Sales\t", "800", "Sales"),
    ("+4930123\tJane", "+4930123", "Jane"),
    ("+4930123  \n Jane  Doe ", "+4930123", "Jane  Doe"),
    # name then bracketed number
    ("Jane Doe (+4930123)", "+4930123", "Jane Doe"),
    ("Jane Doe(+4930123)", "+4930123", "Jane Doe"),
    ("Jane Doe <+49 30 123>", "+49 30 123", "Jane Doe"),
    ("Jane ( 0301234 )", "0301234", "Jane"),
    ("(+4930123)", "+4930123", None),
    ("Jane (Office) (+4930123)", "+4930123", "Jane (Office)"),
    ("Jane (Office)", None, "Jane (Office)"),  # brackets without a number: all name
    ("Jane (+4930123", None, "Jane (+4930123"),  # unclosed
    # stored after the privacy policy: masked and hashed numbers stay numbers
    ("+*******456", "+*******456", None),
    ("+** ** ***456", "+** ** ***456", None),
    (HASH, HASH, None),
    (HASH + " Jane", HASH, "Jane"),
    ("sha256:xyz", None, "sha256:xyz"),
    # multi-line and odd text
    ("Jane\nDoe", None, "Jane\nDoe"),
    ("100 Jane\nDoe", "100", "Jane\nDoe"),
]
