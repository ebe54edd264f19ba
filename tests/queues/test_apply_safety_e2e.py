"""Apply's safety against the simulated PBX over real HTTP: a queue changed between plan and
apply stops the run, a failure mid-apply leaves a clear report and a re-run completes it
without duplicates, a lost answer to a create is read back instead of created twice, queues with
callers waiting are not deleted unless forced."""

from __future__ import annotations

from typing import Any

import pytest
from queues_helpers import pbx_settings, simulated_pbx

from queuepulse.domain.queue_config import Member, QueueConfig, plan
from queuepulse.queue_admin import QueueApplier, read_pbx
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.simulator.server import RunningSimulator
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.queue_writes import QueueWriter, queue_write

pytestmark = pytest.mark.e2e


def _wanted(*items: tuple[str, dict[str, Any]]) -> list[QueueConfig]:
    return [QueueConfig(number, values) for number, values in items]


async def _plan(xapi: XapiClient, wanted: list[QueueConfig], prune: bool = False) -> Any:
    state = await read_pbx(xapi)
    return plan(wanted, state.queues, prune=prune)


def _created(sim: RunningSimulator, number: str) -> int:
    return sum(1 for c in sim.truth.queue_changes()
               if c["action"] == "created" and c["queue_dn"] == number)


async def test_a_queue_changed_since_the_plan_stops_apply() -> None:
    with simulated_pbx() as sim:
        audit: list[dict[str, Any]] = []
        async with XapiClient(pbx_settings(sim)) as xapi:
            wanted = _wanted(("800", {"sla_time": 30}), ("801", {"sla_time": 31}),
                             ("802", {"sla_time": 32}))
            the_plan = await _plan(xapi, wanted)
            assert [c.number for c in the_plan.changes] == ["800", "801", "802"]
            # someone edits queue 801 in the 3CX console meanwhile
            await QueueWriter(xapi).update_queue(100002, queue_write({"RingTimeout": 33}))
            report = await QueueApplier(xapi, audit=audit.extend).apply(the_plan)
        assert [(r.change.number, r.outcome) for r in report.results] == [
            ("800", "applied"), ("801", "not_attempted"), ("802", "not_attempted")]
        error = report.results[1].error or ""
        assert "queue 801 changed on the PBX since the plan was made" in error
        assert "ring_timeout 20 -> 33" in error
        engine = sim.simulator.engine
        assert [engine.queue_by_dn[n].sla_s for n in ("800", "801", "802")] == [30, 20, 20]
        assert [(r["queue_dn"], r["outcome"]) for r in audit] == [
            ("800", "applied"), ("801", "not_attempted"), ("802", "not_attempted")]


async def test_failure_mid_apply_is_reported_and_a_rerun_completes_it() -> None:
    with simulated_pbx() as sim:
        wanted = _wanted(("800", {"wrap_up_time": 5}), ("801", {"wrap_up_time": 6}),
                         ("802", {"wrap_up_time": 7}), ("805", {"name": "New"}))
        async with XapiClient(pbx_settings(sim)) as xapi:
            first = await _plan(xapi, wanted)
            assert [c.action for c in first.changes] == ["create", "update", "update",
                                                         "update"]
            # the 2nd PATCH fails with a 503, and so does the one more attempt after the
            # read-back showed it not applied
            sim.simulator.faults.set_rules(parse_fault_spec("UpdateQueue:status=503@n2-3"))
            report = await QueueApplier(xapi).apply(first)
            outcomes = [(r.change.number, r.outcome) for r in report.results]
            assert outcomes == [("805", "applied"), ("800", "applied"), ("801", "failed"),
                                ("802", "not_attempted")]
            assert "503" in (report.results[2].error or "")
            assert not report.ok
            sim.simulator.faults.set_rules(())
            rest = await _plan(xapi, wanted)
            assert [(c.action, c.number) for c in rest.changes] == [
                ("update", "801"), ("update", "802")]
            again = await QueueApplier(xapi).apply(rest)
            assert again.ok
            assert (await _plan(xapi, wanted)).empty
        assert _created(sim, "805") == 1
        assert [sim.simulator.engine.queue_by_dn[n].wrapup_s for n in ("800", "801", "802")] \
            == [5, 6, 7]


async def test_a_503_is_read_back_and_sent_once_more() -> None:
    with simulated_pbx() as sim:
        async with XapiClient(pbx_settings(sim)) as xapi:
            the_plan = await _plan(xapi, _wanted(("800", {"wrap_up_time": 9})))
            sim.simulator.faults.set_rules(parse_fault_spec("UpdateQueue:status=503@n1"))
            applier = QueueApplier(xapi)
            report = await applier.apply(the_plan)
        assert report.ok
        assert sim.simulator.engine.queue_by_dn["800"].wrapup_s == 9
        # re-read before the patch, the patch (503), the read-back, the second patch
        assert report.requests == 4


async def test_a_create_whose_answer_is_lost_is_not_created_twice() -> None:
    with simulated_pbx() as sim:
        async with XapiClient(pbx_settings(sim)) as xapi:
            the_plan = await _plan(xapi, [QueueConfig("806", {"name": "Lost answer"},
                                                      (Member("1000", "A"),))])
            # the PBX creates the queue, then the connection drops before the answer
            sim.simulator.faults.set_rules(parse_fault_spec("CreateQueue:truncated@n1"))
            report = await QueueApplier(xapi).apply(the_plan)
            assert report.ok, report.results
            assert (await _plan(xapi, [QueueConfig("806", {"name": "Lost answer"},
                                                   (Member("1000", "A"),))])).empty
        assert _created(sim, "806") == 1


async def test_a_timed_out_create_is_read_back_before_it_is_sent_again() -> None:
    with simulated_pbx() as sim:
        settings = pbx_settings(sim, timeout_s=0.3)
        async with XapiClient(settings) as xapi:
            writer = QueueWriter(xapi)
            # the first POST waits 1 s before the PBX handles it: the client gives up first
            sim.simulator.faults.set_rules(parse_fault_spec("CreateQueue:latency=1@n1"))
            created = await writer.create_queue(queue_write({"Number": "807", "Name": "Slow"}))
            assert created.number == "807"
            # POST (timed out), read-back (not there yet), POST again
            assert writer.requests == 3
        assert _created(sim, "807") == 1
        assert len([q for q in sim.simulator.engine.live_queues() if q.dn == "807"]) == 1


async def test_a_queue_with_callers_waiting_is_deleted_only_when_forced() -> None:
    with simulated_pbx(calls_per_min_per_queue=6.0) as sim:
        engine = sim.simulator.engine
        async with XapiClient(pbx_settings(sim)) as xapi:
            await QueueWriter(xapi).update_queue(100003, queue_write({"Agents": []}))
            sim.advance(90)
            waiting = engine.queue_by_dn["802"].n_waiting
            assert waiting > 0
            keep = _wanted(("800", {}), ("801", {}))
            the_plan = await _plan(xapi, keep, prune=True)
            assert [(c.action, c.number) for c in the_plan.changes] == [("delete", "802")]
            refused = await QueueApplier(xapi).apply(the_plan)
            assert refused.results[0].outcome == "refused"
            assert "call(s) waiting in queue 802" in (refused.results[0].error or "")
            assert "802" in engine.queue_by_dn
            # without --prune nothing is deleted at all
            assert (await _plan(xapi, keep)).empty
            forced = await QueueApplier(xapi).apply(await _plan(xapi, keep, prune=True),
                                                    force=True)
            assert forced.ok
        assert "802" not in engine.queue_by_dn
        assert sim.truth.queue_changes()[-1]["action"] == "deleted"
