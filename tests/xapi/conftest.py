"""Fixtures for the XAPI client tests (the fakes themselves live in ``xapi_fakes``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from xapi_fakes import FakeClock, Pbx, pbx_settings

from queuepulse.xapi.client import XapiClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pbx() -> Pbx:
    return Pbx()


@pytest.fixture
def make_client(clock: FakeClock) -> Callable[..., XapiClient]:
    def make(handler: Callable[[httpx.Request], Any], **overrides: Any) -> XapiClient:
        bulk = overrides.pop("bulk_budget_s", None)
        return XapiClient(
            pbx_settings(**overrides),
            bulk_budget_s=bulk,
            transport=httpx.MockTransport(handler),
            clock=clock,
            wall_clock=clock.wall,
            sleep=clock.sleep,
            jitter=False,
        )

    return make
