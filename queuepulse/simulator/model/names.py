"""Deterministic names for simulated queues, people and phone numbers."""

from __future__ import annotations

import random

QUEUE_NAMES = (
    "Sales", "Support", "Billing", "Orders", "Returns", "Technical", "Accounts", "Claims",
    "Bookings", "Helpdesk", "Retention", "Onboarding",
)
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ida", "Jonas",
    "Katrin", "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Simon", "Tara", "Umut",
)
LAST_NAMES = (
    "Meyer", "Schmidt", "Novak", "Rossi", "Garcia", "Kowalski", "Dubois", "Jensen",
    "Silva", "Horvat", "Berg", "Costa", "Weber", "Lindgren", "Moreau", "Baker",
)
CALLER_NAMES = ("", "", "", "Acme GmbH", "J. Doe", "M. Muster", "Northwind", "Contoso")


def queue_name(index: int) -> str:
    """A readable, unique queue name."""
    base = QUEUE_NAMES[index % len(QUEUE_NAMES)]
    rounds = index // len(QUEUE_NAMES)
    return base if rounds == 0 else f"{base} {rounds + 1}"


def person(rng: random.Random) -> tuple[str, str]:
    """A (first, last) name pair."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def external_number(rng: random.Random) -> str:
    """An E.164-looking external number."""
    return f"+4930{rng.randrange(1_000_000, 9_999_999)}"


def caller_label(number: str, rng: random.Random) -> str:
    """``"<number> <display name>"`` as 3CX shows it (the name may be absent)."""
    name = rng.choice(CALLER_NAMES)
    return f"{number} {name}" if name else number
