"""Retention in the live flow's runner (queuepulse.live.retention): a run at start, then every
interval; a failure is logged and counted, never fatal. And ``run live`` without a client secret
exits 2 with the message, before any thread starts."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from queuepulse.cli import main
from queuepulse.live.retention import RETENTION_RUNS, RetentionTimer, run_retention_once

pytestmark = pytest.mark.unit

DSN = "postgresql://queuepulse:pw-never-logged@127.0.0.1:1/queuepulse"


def _count(outcome: str) -> float:
    return float(RETENTION_RUNS.labels(outcome)._value.get())


def test_a_run_logs_what_it_dropped_and_counts_ok(caplog: pytest.LogCaptureFixture) -> None:
    before = _count("ok")
    with caplog.at_level(logging.INFO, logger="queuepulse.live.retention"):
        out = run_retention_once(DSN, lambda dsn: [("queue_live", 3), ("call_events", 0)])
    assert out == [("queue_live", 3), ("call_events", 0)]
    assert _count("ok") == before + 1
    record = next(r for r in caplog.records if r.message == "retention applied")
    assert record.total_dropped == 3  # type: ignore[attr-defined]
    assert record.dropped_chunks == {"queue_live": 3}  # type: ignore[attr-defined]


def test_a_failure_is_logged_counted_and_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(dsn: str) -> list[tuple[str, int]]:
        raise RuntimeError("connection refused\nsecond line")

    before = _count("failed")
    with caplog.at_level(logging.WARNING, logger="queuepulse.live.retention"):
        assert run_retention_once(DSN, broken) is None
    assert _count("failed") == before + 1
    assert "connection refused" in caplog.records[-1].error  # type: ignore[attr-defined]
    assert "pw-never-logged" not in caplog.text
    assert "pw-never-logged" not in repr(RetentionTimer(DSN))


def test_the_timer_runs_at_start_and_keeps_running_after_a_failure() -> None:
    calls: list[str] = []
    second = threading.Event()

    def flaky(dsn: str) -> list[tuple[str, int]]:
        calls.append(dsn)
        if len(calls) == 1:
            raise RuntimeError("database away")
        second.set()
        return []

    timer = RetentionTimer(DSN, interval_s=0.01, apply=flaky).start()
    try:
        assert second.wait(timeout=10), "the timer stopped after a failed run"
    finally:
        timer.stop()
    assert len(calls) >= 2
    assert not timer._thread.is_alive()


def test_run_live_without_a_client_secret_exits_2_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "")
    assert main(["run", "live", "--metrics-port", "0", "--run-for", "1"]) == 2
    err = capsys.readouterr().err
    assert "no XAPI client secret configured for PBX 'default'" in err
    assert "QUEUEPULSE_PBX__CLIENT_SECRET" in err
    assert "Traceback" not in err
