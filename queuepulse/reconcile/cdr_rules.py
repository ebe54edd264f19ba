"""How CDR segments encode queue visits: documented, configurable rules.

3CX's OpenAPI document declares ``SegmentType``, ``SegmentActionId``, ``SrcDnType``/``DstDnType``
and ``ActionType`` as bare integers with no enum, so what the codes mean is an assumption. The
defaults below are the codes the simulator emits (``queuepulse.simulator.model.engine``) and the
shape public integrations describe; a site calibrates them against its own PBX by recording
``/CallHistoryView`` and ``GetCallLogData`` and overriding these rules from a YAML/JSON file
(``settings.rules.cdr_rules_file``, ``run reconcile --cdr-rules FILE``). See
docs/reconciliation.md.

The model: every visit of a call to a queue is one **queue segment** (destination = the queue)
from queue entry to the moment it stopped waiting; its action says how (answered, abandoned,
transferred). An answered queue segment is followed, in the same call, by a **talk segment**
(destination = the agent) that starts at the answer and ends when the talk ends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from queuepulse.errors import ConfigError

__all__ = ["CdrRules", "load_cdr_rules"]


def _ints(values: Any) -> frozenset[int]:
    return frozenset(int(v) for v in values)


@dataclass(frozen=True, slots=True)
class CdrRules:
    """Which segments are queue visits and talks, and what their action codes mean.

    Empty ``*_segment_types`` mean "any type". A queue segment is one whose destination DN is a
    known queue (``Queues`` sync) or whose ``DstDnType`` is in ``queue_dn_types``.
    """

    #: ``SegmentType`` of a call waiting in a queue (simulator: 1).
    queue_segment_types: frozenset[int] = frozenset({1})
    #: ``SegmentType`` of a connected talk (simulator: 2).
    talk_segment_types: frozenset[int] = frozenset({2})
    #: ``DstDnType`` of a queue (simulator: 2).
    queue_dn_types: frozenset[int] = frozenset({2})
    #: ``DstDnType`` of a user extension (an agent) (simulator: 1).
    agent_dn_types: frozenset[int] = frozenset({1})
    #: ``SegmentActionId`` of a queue segment that ended with an agent answering.
    answered_actions: frozenset[int] = frozenset({1})
    #: ``SegmentActionId`` of a queue segment the caller left while waiting (6: dropped).
    abandoned_actions: frozenset[int] = frozenset({2, 6})
    #: ``SegmentActionId`` of a queue segment that moved on while waiting (overflow, transfer).
    transferred_actions: frozenset[int] = frozenset({3})
    #: An unknown action falls back to ``CallAnswered`` (True: answered, False: abandoned);
    #: when False, such a segment is dead-lettered instead.
    unknown_action_uses_answered_flag: bool = False
    #: A talk segment belongs to an answered queue segment when it starts this close to the
    #: queue segment's end (same call).
    talk_link_tolerance_s: float = 2.0
    #: How ``MainCallHistoryId`` (else ``CallHistoryId``) maps to our call key: when it matches
    #: ``<Id>@<date-time>`` it is the live flow's key (the simulator's format); otherwise the key
    #: is ``cdr:<id>`` and live visits are matched by call id, caller and time.
    call_key_separator: str = "@"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> CdrRules:
        """Rules from a mapping (a parsed YAML/JSON file); unknown keys are a ConfigError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown CDR rule(s) {unknown}; known rules: {', '.join(sorted(known))}"
            )
        values: dict[str, Any] = {}
        try:
            for name, value in data.items():
                if name.endswith("_types") or name.endswith("_actions"):
                    values[name] = _ints(value)
                elif name == "talk_link_tolerance_s":
                    values[name] = float(value)
                elif name == "unknown_action_uses_answered_flag":
                    values[name] = bool(value)
                else:
                    values[name] = str(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad CDR rules: {exc}; integer codes go in lists") from exc
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """The rules as plain JSON-able values (for run details and docs)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = sorted(value) if isinstance(value, frozenset) else value
        return out


def load_cdr_rules(path: Path | None) -> CdrRules:
    """The default rules, or those of a YAML/JSON file (raises ConfigError naming the file)."""
    if path is None:
        return CdrRules()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read CDR rules file {path}: {exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # any parse error is the file's fault
        raise ConfigError(f"CDR rules file {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"CDR rules file {path} must hold a mapping of rule names to values")
    return CdrRules.from_mapping(data)
