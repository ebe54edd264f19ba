"""queuepulse.domain: pure call-centre logic, no Bytewax, httpx or database inside.

* :mod:`~queuepulse.domain.snapshot`: ``ActiveCallRow``, ``Poll``, tolerant parsing of bodies;
* :mod:`~queuepulse.domain.parties`: Caller/Callee parsing and the queue/agent ``Directory``;
* :mod:`~queuepulse.domain.rules`: configurable attribution ``Rules``;
* :mod:`~queuepulse.domain.lifecycle`: ``step(state, poll, directory, rules)``, the state machine;
* :mod:`~queuepulse.domain.events`, :mod:`~queuepulse.domain.visits`,
  :mod:`~queuepulse.domain.gauges`: its outputs (``CallEvent``, ``QueueVisit``, ``QueueLive``);
* :mod:`~queuepulse.domain.kpi`: KPI facts, bucket folds and ``kpis_from_visits``;
* :mod:`~queuepulse.domain.caller`: the ``Caller`` string split into number and name;
* :mod:`~queuepulse.domain.privacy`: the privacy policy for caller numbers and names;
* looking ahead (docs/staffing.md): :mod:`~queuepulse.domain.erlang` (Erlang C/A),
  :mod:`~queuepulse.domain.patience`, :mod:`~queuepulse.domain.expected_wait`,
  :mod:`~queuepulse.domain.forecast`, :mod:`~queuepulse.domain.staffing`.

See docs/lifecycle.md for the rules and their alternatives.
"""

from queuepulse.domain.caller import CallerParts, split_caller
from queuepulse.domain.events import CallEvent, event_id
from queuepulse.domain.gauges import QueueLive
from queuepulse.domain.kpi import (
    KpiBucket,
    KpiFact,
    QueueKpi,
    accumulate,
    bucket_of,
    entry_kpis_from_visits,
    fold_bucket,
    fold_facts,
    kpis_from_visits,
)
from queuepulse.domain.lifecycle import (
    AgentCallChange,
    Counters,
    PbxState,
    StepOutput,
    call_key_of,
    initial_state,
    step,
)
from queuepulse.domain.parties import AgentInfo, Directory, QueueInfo, parse_party
from queuepulse.domain.privacy import CallerPolicy, protect_caller
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import (
    ActiveCallRow,
    Poll,
    parse_active_calls,
    parse_datetime,
    poll_from_body,
)
from queuepulse.domain.visits import QueueVisit

__all__ = [
    "ActiveCallRow",
    "AgentCallChange",
    "AgentInfo",
    "CallEvent",
    "CallerParts",
    "CallerPolicy",
    "Counters",
    "Directory",
    "KpiBucket",
    "KpiFact",
    "PbxState",
    "Poll",
    "QueueInfo",
    "QueueKpi",
    "QueueLive",
    "QueueVisit",
    "Rules",
    "StepOutput",
    "accumulate",
    "bucket_of",
    "call_key_of",
    "entry_kpis_from_visits",
    "event_id",
    "fold_bucket",
    "fold_facts",
    "initial_state",
    "kpis_from_visits",
    "parse_active_calls",
    "parse_datetime",
    "parse_party",
    "poll_from_body",
    "protect_caller",
    "split_caller",
    "step",
]
