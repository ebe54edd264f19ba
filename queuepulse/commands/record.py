"""``queuepulse record``: capture real XAPI polls into JSON Lines replay files.

Polls ``/ActiveCalls`` every ``--interval`` seconds and ``/Queues`` (with Agents) and ``/Users``
(monitoring fields only) every ``--sync-interval`` seconds, writing each raw response as one
replay line (``{"kind", "pbx_id", "received_at", "body"}``, the body verbatim) into rotating
files under ``--out``. The client secret comes only
from the settings (``QUEUEPULSE_PBX__CLIENT_SECRET``, ``.env`` or a Docker secret), never from
the command line. Ctrl-C (SIGINT) or SIGTERM stops cleanly within one poll interval: the current
file is closed and a summary printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from queuepulse.errors import ConfigError, SetupError
from queuepulse.health import CommandMetrics, serve_health

if TYPE_CHECKING:
    from queuepulse.xapi.recorder import RecordProgress

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``record`` command."""
    parser = subparsers.add_parser(
        "record",
        help="capture real XAPI polls to JSON Lines (for replay and calibration)",
        description=(
            "Poll a 3CX PBX's XAPI (ActiveCalls every --interval; Queues and Users every "
            "--sync-interval) and write every raw response to rotating JSON Lines files in the "
            "replay format. The client secret is read from QUEUEPULSE_PBX__CLIENT_SECRET, .env "
            "or a Docker secret only. A failed poll is counted and recording goes on; refused "
            "credentials end the run with exit code 1 (the files so far are kept). Serves "
            "/healthz (ready while ActiveCalls polls succeed) and /metrics while it runs."
        ),
    )
    parser.add_argument(
        "--out", type=Path, default=Path("recordings"),
        help="directory for the replay files (default: ./recordings)",
    )
    parser.add_argument(
        "--duration", type=float, default=None,
        help="stop after this many seconds (default: until Ctrl-C)",
    )
    parser.add_argument("--url", help="PBX root URL (default: QUEUEPULSE_PBX__URL)")
    parser.add_argument("--client-id", help="XAPI client id (default: QUEUEPULSE_PBX__CLIENT_ID)")
    parser.add_argument("--pbx-id", help="pbx_id written into each line (default: settings)")
    parser.add_argument(
        "--interval", type=float, default=None,
        help="seconds between ActiveCalls polls (default: QUEUEPULSE_PBX__POLL_INTERVAL_S)",
    )
    parser.add_argument(
        "--sync-interval", type=float, default=None,
        help="seconds between Queues/Users polls (default: QUEUEPULSE_PBX__SYNC_INTERVAL_S)",
    )
    parser.add_argument(
        "--max-bytes", type=int, default=64 * 1024 * 1024,
        help="start a new file past this size (default: 64 MiB)",
    )
    parser.add_argument(
        "--max-lines", type=int, default=None,
        help="start a new file after this many lines (default: no line limit)",
    )
    parser.add_argument("--prefix", default="xapi", help="file name prefix (default: xapi)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    parser.add_argument(
        "--metrics-port", type=int, default=None,
        help="port of /healthz and /metrics (default: QUEUEPULSE_OBSERVABILITY__METRICS_PORT "
             "+ 4, i.e. 9468; 0 = off; a port in use is logged and recording goes on without)",
    )
    parser.set_defaults(handler=handle)


class _ProgressLine:
    """Rewrites one status line on a terminal (at most once a second), or logs plain lines."""

    def __init__(self, stream: TextIO, files: Any, *, every_s: float = 1.0) -> None:
        self._stream = stream
        self._files = files
        self._every_s = every_s
        self._last = 0.0
        self._tty = stream.isatty()

    def __call__(self, progress: Any, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (self._every_s if self._tty else 10 * self._every_s):
            return
        self._last = now
        line = "record: " + progress.line(len(self._files()))
        if self._tty:
            self._stream.write("\r\x1b[2K" + line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


class RecordMetrics(CommandMetrics):
    """``record``'s collectors (``queuepulse_record_*``, labels: ``pbx_id``), fed from the
    recorder's progress; the PBX's heartbeat is a successful ActiveCalls poll."""

    def __init__(self, pbx_id: str) -> None:
        from prometheus_client import Counter

        from queuepulse.xapi.recorder import RecordProgress

        super().__init__()
        r = self.registry
        self.pbx_id = pbx_id
        self.polls = Counter("queuepulse_record_polls", "ActiveCalls polls recorded",
                             ["pbx_id"], registry=r)
        self.syncs = Counter("queuepulse_record_syncs", "Queues/Users captures",
                             ["pbx_id"], registry=r)
        self.poll_errors = Counter("queuepulse_record_poll_errors",
                                   "Failed polls by error kind", ["pbx_id", "kind"], registry=r)
        self.bytes = Counter("queuepulse_record_bytes", "Bytes written to the replay files",
                             ["pbx_id"], registry=r)
        self.heartbeats.expect(pbx_id)
        self._seen = RecordProgress()

    def update(self, progress: RecordProgress) -> None:
        """Mirror the recorder's counters into the collectors."""
        seen = self._seen
        if progress.polls > seen.polls:
            self.polls.labels(self.pbx_id).inc(progress.polls - seen.polls)
            self.heartbeats.beat(self.pbx_id)
        if progress.syncs > seen.syncs:
            self.syncs.labels(self.pbx_id).inc(progress.syncs - seen.syncs)
        if progress.errors > seen.errors:
            kind = (progress.last_error or "error").split(":", 1)[0]
            self.poll_errors.labels(self.pbx_id, kind).inc(progress.errors - seen.errors)
        if progress.bytes > seen.bytes:
            self.bytes.labels(self.pbx_id).inc(progress.bytes - seen.bytes)
        self._seen = replace(progress, last_error=None)


def handle(args: argparse.Namespace) -> int:
    """Record until ``--duration`` passes or Ctrl-C."""
    from queuepulse.commands.run import check_url_option
    from queuepulse.settings import load_settings
    from queuepulse.xapi.client import XapiClient
    from queuepulse.xapi.errors import AuthError
    from queuepulse.xapi.recorder import Recorder
    from queuepulse.xapi.replay_file import RotatingJsonlWriter

    for name in ("duration", "interval", "sync_interval"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be > 0, got {value}")
    check_url_option(args.url)
    settings = load_settings()
    updates = {
        k: v
        for k, v in {"url": args.url, "client_id": args.client_id, "pbx_id": args.pbx_id}.items()
        if v is not None
    }
    pbx = settings.pbx.model_copy(update=updates)
    pbx.require_client_secret()
    interval = args.interval or pbx.poll_interval_s
    sync_interval = args.sync_interval or pbx.sync_interval_s
    try:
        writer = RotatingJsonlWriter(
            args.out, prefix=args.prefix, max_bytes=args.max_bytes, max_lines=args.max_lines
        )
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot write replay files to {args.out}: {exc}") from None
    progress_line = None if args.quiet else _ProgressLine(sys.stderr, lambda: writer.files)
    port = args.metrics_port if args.metrics_port is not None else (
        settings.observability.metrics_port + 4)
    metrics = RecordMetrics(pbx.pbx_id)
    server = serve_health(settings.observability.metrics_host, port, metrics,
                          stale_after_s=max(5.0, 3 * interval), required=False)

    def on_progress(progress: RecordProgress) -> None:
        metrics.update(progress)
        if progress_line is not None:
            progress_line(progress)

    stopped_by: list[str] = []

    async def main(recorder_box: list[Recorder]) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):

            def on_signal(name: str = sig.name) -> None:
                stopped_by.append(name)
                stop.set()

            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Unix
                loop.add_signal_handler(sig, on_signal)
        async with XapiClient(pbx) as client:
            recorder = Recorder(
                client,
                writer,
                pbx_id=pbx.pbx_id,
                poll_interval_s=interval,
                sync_interval_s=sync_interval,
                on_progress=on_progress,
            )
            recorder_box.append(recorder)
            await recorder.run(duration_s=args.duration, stop=stop)

    box: list[Recorder] = []
    refused: AuthError | None = None
    try:
        asyncio.run(main(box))
    except AuthError as exc:
        refused = exc
    except KeyboardInterrupt:
        stopped_by.append("SIGINT")
    except OSError as exc:  # network errors arrive as XapiError; this is the replay file
        raise SetupError(
            f"cannot write the replay file in {args.out}: {exc}; free some space or pick --out"
        ) from None
    finally:
        writer.close()
        if server is not None:
            server.stop()
    interrupted = bool(stopped_by)
    if box:
        progress = box[0].progress
        if progress_line is not None:
            progress_line(progress, force=True)
            if sys.stderr.isatty():
                sys.stderr.write("\n")
        how = (f"stopped by {stopped_by[0]}" if interrupted
               else "stopped: credentials refused" if refused else "done")
        files = ", ".join(str(f) for f in writer.files) or "none"
        print(f"record {how}: {progress.line(len(writer.files))}; files: {files}")
        if refused is not None:
            print(f"record: {refused}", file=sys.stderr)
            return 1
        if progress.polls == 0 and progress.errors:
            print(f"record: no successful poll; last error: {progress.last_error}", file=sys.stderr)
            return 1
    return 130 if interrupted and not box else 0
