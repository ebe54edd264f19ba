"""Typed report methods of :class:`~queuepulse.xapi.client.XapiClient`, from one piece of logic.

The 14 queue report functions differ only in their :class:`~queuepulse.xapi.reports.ReportSpec`
and in which of a handful of parameter *roles* they take (start and end, queue DNs, an interval,
agent DNs, a time zone, a chart date). Each shape below is a typed ``__call__`` that names its
roles and hands them to :meth:`ReportSpec.by_role`; :class:`ReportMethod` is the descriptor that
binds a shape and a spec to the client, so ``XapiClient.get_statistic_sla = window(STATISTIC_SLA)``
gives ``await xapi.get_statistic_sla(start, end, queue_dns="800")`` returning
``list[StatisticSla]`` — checked by mypy, with one code path for every report.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pydantic import BaseModel

from queuepulse.xapi.odata import ODataQuery
from queuepulse.xapi.reports import ReportSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from queuepulse.xapi.client import XapiClient

M = TypeVar("M", bound=BaseModel)
B = TypeVar("B", bound="BoundReport[Any]")


class BoundReport(Generic[M]):
    """One report bound to one client; subclasses add the typed ``__call__``."""

    __slots__ = ("_client", "spec")

    def __init__(self, client: XapiClient, spec: ReportSpec[M]) -> None:
        self._client = client
        self.spec = spec

    async def _fetch(
        self, query: ODataQuery | None, page_size: int | None, **roles: object
    ) -> list[M]:
        values = self.spec.by_role(**roles)
        return await self._client.get_report(self.spec, values, query, page_size=page_size)


class WindowReport(BoundReport[M]):
    """``(start, end, queue_dns, interval)``: ``periodFrom/periodTo/queueDns/waitInterval`` or
    ``queueDnStr/startDt/endDt/waitInterval`` (``answerInterval``)."""

    async def __call__(
        self,
        start: datetime,
        end: datetime,
        queue_dns: str | None = None,
        interval: str | None = None,
        *,
        query: ODataQuery | None = None,
        page_size: int | None = None,
    ) -> list[M]:
        return await self._fetch(
            query, page_size, start=start, end=end, queue_dns=queue_dns, interval=interval
        )


class CallbackReport(BoundReport[M]):
    """``(start, end, queue_dns)``: ``queueDnStr/startDt/endDt``."""

    async def __call__(
        self,
        start: datetime,
        end: datetime,
        queue_dns: str | None = None,
        *,
        query: ODataQuery | None = None,
        page_size: int | None = None,
    ) -> list[M]:
        return await self._fetch(query, page_size, start=start, end=end, queue_dns=queue_dns)


class LoginHistoryReport(BoundReport[M]):
    """``(start, end, queue_dns, agent_dns, time_zone)``: ``GetAgentLoginHistoryData``."""

    async def __call__(
        self,
        start: datetime,
        end: datetime,
        queue_dns: str | None = None,
        agent_dns: str | None = None,
        time_zone: str | None = None,
        *,
        query: ODataQuery | None = None,
        page_size: int | None = None,
    ) -> list[M]:
        return await self._fetch(
            query, page_size, start=start, end=end, queue_dns=queue_dns,
            agent_dns=agent_dns, time_zone=time_zone,
        )


class ChartReport(BoundReport[M]):
    """``(chart_date, chart_by, queue_dns, interval, time_zone)``: the two chart reports."""

    async def __call__(
        self,
        chart_date: datetime,
        chart_by: str | None = None,
        queue_dns: str | None = None,
        interval: str | None = None,
        time_zone: str | None = None,
        *,
        query: ODataQuery | None = None,
        page_size: int | None = None,
    ) -> list[M]:
        return await self._fetch(
            query, page_size, chart_date=chart_date, chart_by=chart_by, queue_dns=queue_dns,
            interval=interval, time_zone=time_zone,
        )


class ReportMethod(Generic[B]):
    """Descriptor: ``client.<name>`` is the report bound to that client."""

    def __init__(self, bind: Callable[[XapiClient], B], spec: ReportSpec[Any]) -> None:
        self._bind = bind
        self.spec = spec
        self.__doc__ = (
            f"``{spec.base_path}(...)`` ({spec.operation_id}); rows: {spec.row.__name__}."
        )

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> ReportMethod[B]: ...

    @overload
    def __get__(self, obj: XapiClient, owner: type[Any]) -> B: ...

    def __get__(self, obj: XapiClient | None, owner: type[Any]) -> ReportMethod[B] | B:
        return self if obj is None else self._bind(obj)


def window(spec: ReportSpec[M]) -> ReportMethod[WindowReport[M]]:
    """A report taking ``(start, end, queue_dns, interval)``."""
    return ReportMethod(lambda client: WindowReport(client, spec), spec)


def callbacks(spec: ReportSpec[M]) -> ReportMethod[CallbackReport[M]]:
    """A report taking ``(start, end, queue_dns)``."""
    return ReportMethod(lambda client: CallbackReport(client, spec), spec)


def login_history(spec: ReportSpec[M]) -> ReportMethod[LoginHistoryReport[M]]:
    """A report taking ``(start, end, queue_dns, agent_dns, time_zone)``."""
    return ReportMethod(lambda client: LoginHistoryReport(client, spec), spec)


def chart(spec: ReportSpec[M]) -> ReportMethod[ChartReport[M]]:
    """A report taking ``(chart_date, chart_by, queue_dns, interval, time_zone)``."""
    return ReportMethod(lambda client: ChartReport(client, spec), spec)
