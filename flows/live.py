"""The live dataflow: snapshots → per-PBX lifecycle → table rows + 1-minute KPI windows → store.

Run it with ``python -m bytewax.run "flows.live:get_flow()"`` (settings and the variables of
:mod:`queuepulse.live.config` say what to poll or replay and where to write), or through
``queuepulse run live`` / ``queuepulse replay`` / ``queuepulse demo``. Wiring only: the steps
are :mod:`queuepulse.live` callables over the pure :mod:`queuepulse.domain`.

Steps::

    snapshots (PollingSource | ReplaySource, one partition per PBX / recording)
      -> key_by_pbx -> pbx_lifecycle (stateful_map: PbxStepper)
         -> observe (metrics)
         -> table_rows -> store
         -> kpi_facts -> kpi_1m_windows (stateful_flat_map: KpiWindower)
                      -> kpi_rows -> store_kpi
"""

from __future__ import annotations

from functools import partial
from typing import Any

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink

from flows.sinks import store_sink
from flows.sources import PollingSource, ReplaySource
from queuepulse.live.commit_latency import CommitRecorder
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.kpi_window import KpiWindower
from queuepulse.live.pbx_step import PbxStepper
from queuepulse.live.pipeline import kpi_row, observe, table_rows, window_batches
from queuepulse.store.buffer import OPEN_BUFFERS
from queuepulse.store.tables import TABLES, TableRow

__all__ = ["build_flow", "get_flow"]


def _source(config: LiveFlowConfig) -> Any:
    if config.replay is not None:
        return ReplaySource(config.replay, speed=config.replay_speed)
    loader = None
    if config.dsn is not None and config.load_known:
        from queuepulse.store.config_writer import ConfigStore

        dsn = config.dsn

        def loader(pbx_id: str) -> Any:
            store = ConfigStore.from_dsn(dsn)
            try:
                return store.load_with_open_calls(pbx_id)
            finally:
                store.close()

    return PollingSource(config.targets, hold=OPEN_BUFFERS.should_hold_polling,
                         known_loader=loader, run_for_s=config.run_for_s,
                         queue_size=config.queue_size)


def build_flow(
    config: LiveFlowConfig,
    *,
    sink: DynamicSink[TableRow] | None = None,
    source: Any = None,
    recorder: CommitRecorder | None = None,
) -> Dataflow:
    """The live dataflow for ``config``; ``sink``/``source`` replace the defaults (tests)."""
    flow = Dataflow("queuepulse_live")
    items = op.input("snapshots", flow, source if source is not None else _source(config))
    keyed = op.key_on("key_by_pbx", items, lambda item: item.pbx_id)
    stepper = PbxStepper(config.rules, write_config=config.write_config, sites=config.sites())
    outputs = op.stateful_map("pbx_lifecycle", keyed, stepper)
    op.inspect("observe", outputs, lambda _step_id, keyed_out: observe(keyed_out))
    if sink is None:
        if config.dsn is None:
            raise ValueError("build_flow needs a sink or config.dsn")
        sink = store_sink(config.dsn, batch_rows=config.batch_rows,
                          buffer_rows=config.buffer_rows, recorder=recorder,
                          spool_dir=config.spool_dir, spool_max_bytes=config.spool_max_bytes)
    # The poll's own rows get their output step before the KPI windows are built: Bytewax
    # runs steps in the order they were added, so a poll's rows are written before its KPI
    # buckets are folded (at 10x the first poll's windowing took 0.15-0.2 s of its latency).
    rows = op.flat_map("table_rows", outputs, table_rows)
    op.output("store", rows, sink)
    facts = op.flat_map("kpi_facts", outputs, window_batches)
    kpis = op.stateful_flat_map("kpi_1m_windows", facts, KpiWindower(config.kpi_lateness_s))
    kpi_rows = op.filter_map("kpi_rows", kpis, partial(kpi_row, tables=frozenset(TABLES)))
    op.output("store_kpi", kpi_rows, sink)
    return flow


def get_flow(config: LiveFlowConfig | None = None) -> Dataflow:
    """The flow ``python -m bytewax.run "flows.live:get_flow()"`` runs (config from the
    settings and environment when not given)."""
    return build_flow(config if config is not None else LiveFlowConfig.from_env())
