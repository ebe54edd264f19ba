"""The simulated call centre: pure, seeded, deterministic, no I/O.

``Engine(ModelConfig(...), start_ms)`` builds queues, agents and memberships from the seed;
``engine.advance_to(t_ms)`` runs the discrete-event simulation up to simulated time ``t_ms``.
The engine keeps the ground truth (calls, queue visits, CDR segments, agent states and logins);
:mod:`queuepulse.simulator.model.truth` turns visits into per-minute KPIs.
"""

from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.model.engine import Engine
from queuepulse.simulator.model.entities import Agent, Call, CallRecord, Queue, Segment, Visit

__all__ = ["Agent", "Call", "CallRecord", "Engine", "ModelConfig", "Queue", "Segment", "Visit"]
