"""queuepulse.live: the non-engine glue of the live Bytewax flow (``flows/live.py``).

* :mod:`~queuepulse.live.items`: what sources yield (polls, config fetches, known config);
* :mod:`~queuepulse.live.poller`: a background poller thread per PBX;
* :mod:`~queuepulse.live.replay_reader`: JSON Lines recordings as items, resumable;
* :mod:`~queuepulse.live.feeds`: the source interface both implement;
* :mod:`~queuepulse.live.pbx_step`: the per-PBX stateful step (lifecycle + config diff → rows);
* :mod:`~queuepulse.live.kpi_window`: 1-minute KPI windows with a lateness allowance;
* :mod:`~queuepulse.live.metrics`, :mod:`~queuepulse.live.commit_latency`: the flow's
  collectors (served by :mod:`queuepulse.health`) and poll-to-commit latency;
* :mod:`~queuepulse.live.service`: the start-up and stop of ``run live``, ``demo``, ``replay``;
* :mod:`~queuepulse.live.summary`: the demo's terminal summary.
"""
