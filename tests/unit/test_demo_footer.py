"""The demo keeps what a newcomer needs next on screen: the ``psql`` DSN and the simulated
PBX's URL are in the footer of every redraw — also while the summary is unavailable — instead
of printed once before the per-second redraw erases them."""

from __future__ import annotations

import io
import threading

import pytest

from queuepulse.commands.demo import demo_footer
from queuepulse.live.summary import SummaryPrinter, render

pytestmark = pytest.mark.unit

DSN = "host=127.0.0.1 port=55432 dbname=queuepulse user=postgres"
URL = "http://127.0.0.1:40123"


def test_the_footer_names_the_database_and_the_pbx() -> None:
    footer = demo_footer(12.4, None, 9464, DSN, URL)
    lines = footer.splitlines()
    assert lines[0] == "running    12 s (Ctrl-C to stop)"
    assert lines[1] == f"query the database: psql '{DSN}'"
    assert lines[2].startswith(f"simulated 3CX PBX: {URL} (XAPI under /xapi/v1)")
    assert "http://127.0.0.1:9464/metrics" in lines[2]
    assert "/metrics" not in demo_footer(1, 5, None, DSN, URL)  # served nowhere: not shown
    assert "of 5 min" in demo_footer(1, 5, None, DSN, URL)


def test_every_redraw_ends_with_the_footer() -> None:
    footer = demo_footer(3, None, None, DSN, URL)
    assert render(None, [], footer).endswith(footer)


def test_the_footer_stays_while_the_summary_is_unavailable() -> None:
    """The database not answering yet: the redraw still shows where to connect."""

    class Screen(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.drawn = threading.Event()

        def flush(self) -> None:
            self.drawn.set()

    screen = Screen()
    printer = SummaryPrinter("postgresql://nobody@127.0.0.1:1/none", "demo", interval_s=0.01,
                             out=screen, footer=lambda: demo_footer(1, None, None, DSN, URL))
    printer.start()
    try:
        assert screen.drawn.wait(30)
    finally:
        printer.stop()
    text = screen.getvalue()
    assert "(summary unavailable: " in text
    assert f"psql '{DSN}'" in text
    assert URL in text
