"""The root of queuepulse's exception tree.

Every error queuepulse raises on purpose derives from :class:`QueuepulseError`; each subsystem
adds a small subtree (``queuepulse.xapi.errors``, ``queuepulse.store.errors``, ...). Messages say
what failed, with which input, and what to do — and never carry a secret.
"""

from __future__ import annotations


class QueuepulseError(Exception):
    """Base class of every error queuepulse raises deliberately."""


class ConfigError(QueuepulseError):
    """A setting is missing or invalid."""


class SetupError(QueuepulseError):
    """The local environment (PostgreSQL, TimescaleDB, tools) cannot serve a command."""
