"""The ``Caller`` string split into number and name, and the privacy policy on both parts."""

from __future__ import annotations

import pytest
from caller_examples import EXAMPLES

from queuepulse.domain.caller import CallerParts, split_caller
from queuepulse.domain.privacy import (
    CallerPolicy,
    hash_number,
    mask_name,
    protect_caller,
    protect_name,
    protect_number,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("raw", "number", "name"), EXAMPLES)
def test_split_caller(raw: str | None, number: str | None, name: str | None) -> None:
    assert split_caller(raw) == CallerParts(number, name)


def test_the_name_follows_the_number_mode_unless_set() -> None:
    assert CallerPolicy().effective_name_mode == "keep"
    assert CallerPolicy("mask").effective_name_mode == "drop"
    assert CallerPolicy("hash", "s").effective_name_mode == "drop"
    assert CallerPolicy("hash", "s", name_mode="keep").effective_name_mode == "keep"
    assert CallerPolicy(name_mode="mask").effective_name_mode == "mask"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (CallerPolicy(), ("+4930123456", "Jane Doe")),
        (CallerPolicy(name_mode="mask"), ("+4930123456", "J*** D**")),
        (CallerPolicy(name_mode="drop"), ("+4930123456", None)),
        (CallerPolicy("mask", keep_digits=3), ("+*******456", None)),
        (CallerPolicy("mask", keep_digits=3, name_mode="keep"), ("+*******456", "Jane Doe")),
        (CallerPolicy("hash", "salt", name_mode="mask"),
         (hash_number("+4930123456", "salt"), "J*** D**")),
    ],
)
def test_protect_caller_applies_both_modes(policy: CallerPolicy,
                                           expected: tuple[str | None, str | None]) -> None:
    assert protect_caller("+4930123456 Jane Doe", policy) == expected
    assert protect_caller("Jane Doe (+4930123456)", policy) == expected


def test_a_protected_number_never_hides_in_a_kept_name() -> None:
    masked = CallerPolicy("mask", name_mode="keep")
    assert protect_caller("Jane 004930123456", masked) == (None, "Jane #####")
    assert protect_name("Jane 004930123456", CallerPolicy()) == "Jane 004930123456"
    assert protect_name("Room 101", masked) == "Room 101"  # short numbers are not phone numbers


def test_empty_parts_are_none() -> None:
    policies = (CallerPolicy(), CallerPolicy("mask"), CallerPolicy("hash", "s", name_mode="mask"))
    for policy in policies:
        assert protect_caller(None, policy) == (None, None)
        assert protect_caller("  ", policy) == (None, None)
        assert protect_number("", policy) is None
        assert protect_name("", policy) is None


def test_a_hash_ignores_how_the_number_is_written() -> None:
    policy = CallerPolicy("hash", "salt")
    assert protect_number("+49 30 123-45", policy) == protect_number("+493012345", policy)
    assert protect_number("+493012345", policy) == hash_number("+493012345", "salt")
    assert protect_caller("+49 30 12345 Jane", policy).number == hash_number("+493012345", "salt")


def test_mask_name() -> None:
    assert mask_name("Jane Doe") == "J*** D**"
    assert mask_name("Jürgen  \"JJ\"") == 'J*****  "***'
    assert mask_name("X") == "X"
