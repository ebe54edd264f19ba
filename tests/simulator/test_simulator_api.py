"""The XAPI endpoints in-process: every response validated against the official OpenAPI subset,
OData options, token rules and the control/truth endpoints."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from simulator_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    manual_config,
    schema_properties,
    validate,
    validate_full,
)
from starlette.testclient import TestClient

from queuepulse.simulator.app import create_app
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.runtime import Simulator

pytestmark = pytest.mark.unit

DAY = "periodFrom=2026-01-05T00:00:00Z,periodTo=2026-01-06T00:00:00Z"
S_DAY = "startDt=2026-01-05T00:00:00Z,endDt=2026-01-06T00:00:00Z"


class Api:
    """A TestClient with a bearer token."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.client = TestClient(create_app(sim))
        self.token = self.new_token()

    def new_token(self) -> str:
        cfg = self.sim.config
        r = self.client.post("/connect/token", data={
            "client_id": cfg.client_id, "client_secret": cfg.client_secret,
            "grant_type": "client_credentials"})
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token

    def get(self, path: str, **params: str) -> Any:
        r = self.client.get(f"/xapi/v1{path}", params=params,
                            headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")
        return r.json()


@pytest.fixture
def api() -> Api:
    sim = Simulator(manual_config(transfer_prob=0.2, overflow_fraction=1.0, master_timeout_s=40))
    sim.advance(1800)
    return Api(sim)


def test_active_calls_conform_and_follow_the_model(api: Api) -> None:
    body = api.get("/ActiveCalls", **{"$count": "true"})
    validate("ListActiveCall", body)
    assert body["@odata.count"] == len(body["value"]) == len(api.sim.engine.active) > 0
    now = "2026-01-05T09:30:00.000Z"
    assert {c["ServerNow"] for c in body["value"]} == {now}
    for c in body["value"]:
        assert c["LastChangeStatus"] <= now
        assert c["EstablishedAt"] <= c["LastChangeStatus"]
        assert c["Status"] in {"Ringing", "Talking", "Transferring", "Rerouting"}
        assert c["Caller"].split(" ")[0]
    assert "@odata.count" not in api.get("/ActiveCalls")


def test_cached_active_calls_body_matches_the_model_at_every_step(api: Api) -> None:
    """The plain poll is served from per-call cached JSON fragments; ``$top`` takes the
    uncached path. Both must show the model's current state after every change."""
    for _ in range(30):
        api.sim.advance(7)
        fast = api.get("/ActiveCalls")["value"]
        slow = api.get("/ActiveCalls", **{"$top": "1000000"})["value"]
        assert sorted(fast, key=lambda c: c["Id"]) == sorted(slow, key=lambda c: c["Id"])
        model = {c.id: (c.status, c.callee, c.caller) for c in api.sim.engine.active.values()}
        assert {c["Id"]: (c["Status"], c["Callee"], c["Caller"]) for c in fast} == model


def test_active_calls_query_options(api: Api) -> None:
    everything = api.get("/ActiveCalls")["value"]
    talking = api.get("/ActiveCalls", **{"$filter": "Status eq 'Talking'", "$count": "true"})
    validate("ListActiveCall", talking)
    assert talking["@odata.count"] == sum(1 for c in everything if c["Status"] == "Talking")
    page = api.get("/ActiveCalls", **{"$orderby": "Id desc", "$top": "2", "$skip": "1",
                                      "$select": "Id,Status"})["value"]
    ids = sorted((c["Id"] for c in everything), reverse=True)
    assert [c["Id"] for c in page] == ids[1:3]
    assert all(set(c) == {"Id", "Status"} for c in page)
    first = everything[0]["Caller"].split(" ")[0]
    hit = api.get("/ActiveCalls", **{"$filter": f"contains(Caller,'{first}') and Id ge 0"})
    assert [c["Caller"] for c in hit["value"]] == [c["Caller"] for c in everything
                                                   if first in c["Caller"]]
    late = api.get("/ActiveCalls", **{
        "$filter": "LastChangeStatus gt 2026-01-05T09:29:00Z or Status eq 'Ringing'"})["value"]
    assert all(c["LastChangeStatus"] > "2026-01-05T09:29" or c["Status"] == "Ringing"
               for c in late)


def test_bad_query_options_give_odata_errors(api: Api) -> None:
    h = {"Authorization": f"Bearer {api.token}"}
    for params in ({"$filter": "Nope eq 1"}, {"$select": "Password"}, {"$top": "-1"},
                   {"$filter": "Status eq 'x"}, {"$orderby": "Id sideways"}):
        r = api.client.get("/xapi/v1/ActiveCalls", params=params, headers=h)
        assert r.status_code == 400, params
        validate("ListActiveCall", r.json(), "default")
        assert r.json()["error"]["message"]


def test_drop_call(api: Api) -> None:
    victim = next(iter(api.sim.engine.active))
    h = {"Authorization": f"Bearer {api.token}"}
    r = api.client.post(f"/xapi/v1/ActiveCalls({victim})/Pbx.DropCall", headers=h)
    assert r.status_code == 200
    assert r.json() == {}
    validate("DropCall", r.json())
    assert victim not in {c["Id"] for c in api.get("/ActiveCalls")["value"]}
    again = api.client.post(f"/xapi/v1/ActiveCalls({victim})/Pbx.DropCall", headers=h)
    assert again.status_code == 404
    validate("DropCall", again.json(), "default")


def test_queues_users_system_status(api: Api) -> None:
    queues = api.get("/Queues", **{"$count": "true"})
    validate("ListQueue", queues)
    assert [q["Number"] for q in queues["value"]] == ["800", "801", "802"]
    assert "Agents" not in queues["value"][0]
    expanded = api.get("/Queues", **{"$expand": "Agents"})
    validate("ListQueue", expanded)
    members = {q["Number"]: {a["Number"] for a in q["Agents"]} for q in expanded["value"]}
    for a in api.sim.engine.agents:
        for qi in a.queues:
            assert a.dn in members[api.sim.engine.queues[qi].dn]
    one = api.get("/Queues(Number='801')")
    validate("GetQueueByNumber", one)
    by_id = api.get(f"/Queues({one['Id']})", **{"$select": "Id,SLATime"})
    validate("GetQueue", by_id)
    assert by_id == {"Id": one["Id"], "SLATime": 20}
    agents = api.get(f"/Queues({one['Id']})/Agents", **{"$count": "true"})
    validate("ListAgents", agents)
    assert {a["Number"] for a in agents["value"]} == members["801"]
    managers = api.get(f"/Queues({one['Id']})/Managers")
    validate("ListManagers", managers)
    assert {m["Number"] for m in managers["value"]} <= members["801"]
    users = api.get("/Users", **{"$select": "Number,QueueStatus,CurrentProfileName,"
                                 "IsRegistered,AuthPassword,VMPIN"})
    validate("ListUser", users)
    assert all("AuthPassword" not in u and "VMPIN" not in u for u in users["value"])
    assert {u["QueueStatus"] for u in users["value"]} <= {"LoggedIn", "LoggedOut"}
    full = api.get("/Users")
    assert not {"AuthPassword", "AccessPassword", "VMPIN", "DeskphonePassword"} & set(
        full["value"][0])
    user = api.get("/Users(Number='1000')")
    validate("GetUserByNumber", user)
    validate("GetUser", api.get(f"/Users({user['Id']})"))
    status = api.get("/SystemStatus")
    validate("GetSystemStatus", status)
    assert status["CallsActive"] == len(api.sim.engine.active)
    missing = api.client.get("/xapi/v1/Queues(Number='999')",
                             headers={"Authorization": f"Bearer {api.token}"})
    assert missing.status_code == 404
    validate("GetQueueByNumber", missing.json(), "default")


def test_call_history_and_call_log(api: Api) -> None:
    hist = api.get("/CallHistoryView", **{"$count": "true", "$top": "50"})
    validate("ListCallHistoryView", hist)
    assert len(hist["value"]) == 50
    finished = [g for g in api.sim.engine.segments if g.record.ended_ms >= 0]
    assert 0 < len(finished) < len(api.sim.engine.segments)
    assert hist["@odata.count"] == len(finished)
    later = api.get("/CallHistoryView", **{
        "$filter": "SegmentStartTime ge 2026-01-05T09:20:00Z", "$orderby": "SegmentId"})
    assert later["value"]
    assert all(r["SegmentStartTime"] >= "2026-01-05T09:20:00" for r in later["value"])
    log = api.get(f"/ReportCallLogData/Pbx.GetCallLogData({DAY},sourceType=0,sourceFilter='',"
                  "destinationType=0,destinationFilter='',callsType=0,callTimeFilterType=0,"
                  "callTimeFilterFrom='0:00:0',callTimeFilterTo='0:00:0',hidePcalls=true)",
                  **{"$top": "20", "$count": "true"})
    validate("GetCallLogData", log)
    assert log["@odata.count"] == len(finished)


REPORT_CALLS = {
    "QueuePerformanceOverview": f"{DAY},queueDns='',waitInterval='0:00:20'",
    "QueuePerformanceTotals": f"{DAY},queueDns='',waitInterval=null",
    "AbandonedQueueCalls": f"{DAY},queueDns='',waitInterval='0:00:0'",
    "StatisticSla": f"queueDnStr='',{S_DAY},waitInterval=null",
    "BreachesSla": f"queueDnStr='800,801,802',{S_DAY},waitInterval=null",
    "AgentsInQueueStatistics": f"queueDnStr='',{S_DAY},waitInterval=null",
    "TeamQueueGeneralStatistics": f"queueDnStr='',{S_DAY},waitInterval=null",
    "DetailedQueueStatistics": f"queueDnStr='',{S_DAY},waitInterval=null",
    "QueueAnsweredCallsByWaitTime": f"queueDnStr='',{S_DAY},answerInterval=null",
    "QueueCallbacks": f"queueDnStr='',{S_DAY}",
    "QueueFailedCallbacks": f"queueDnStr='',{S_DAY}",
    "AgentLoginHistory": f"clientTimeZone='UTC',{S_DAY},queueDnStr='',agentDnStr=''",
    "AverageQueueWaitingTime": "chartDate=2026-01-05T00:00:00Z,chartBy='hour',queueDnStr='',"
                               "waitInterval=null,clientTimeZone='UTC'",
    "QueueAnUnCalls": "chartDate=2026-01-05T00:00:00Z,chartBy='hour',queueDnStr='',"
                      "clientTimeZone='UTC',waitInterval=null",
}


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "UTC", "America/Argentina/Buenos_Aires"])
def test_office_hours_time_zone_is_listed_in_defs_time_zones(zone: str) -> None:
    """GET /OfficeHours gives the configured zone's Id of GET /Defs/TimeZones (whose IanaName is
    the zone); both bodies match the full OpenAPI document, $select included."""
    from dataclasses import replace

    api = Api(Simulator(replace(manual_config(), time_zone=zone)))
    hours = api.get("/OfficeHours")
    validate_full("/OfficeHours", hours)
    selected = api.get("/OfficeHours", **{"$select": "TimeZoneId"})
    validate_full("/OfficeHours", selected)
    assert selected == {"TimeZoneId": hours["TimeZoneId"]}
    zones = api.get("/Defs/TimeZones", **{"$count": "true"})
    validate_full("/Defs/TimeZones", zones)
    assert zones["@odata.count"] == len(zones["value"]) >= 10
    by_id = {z["Id"]: z for z in zones["value"]}
    assert len(by_id) == len(zones["value"])
    assert by_id[hours["TimeZoneId"]]["IanaName"] == zone


def test_office_hours_without_a_zone() -> None:
    from dataclasses import replace

    api = Api(Simulator(replace(manual_config(), time_zone=None)))
    hours = api.get("/OfficeHours", **{"$select": "TimeZoneId"})
    validate_full("/OfficeHours", hours)
    assert hours == {"TimeZoneId": None}


def test_every_spec_operation_is_served_and_validated_here() -> None:
    """The operations this module validates are exactly the spec's (a new one is noticed)."""
    from simulator_helpers import spec

    ops = {op["operationId"] for item in spec()["paths"].values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op}
    validated_here = {
        "ListActiveCall", "DropCall", "ListQueue", "GetQueue", "GetQueueByNumber", "ListAgents",
        "ListManagers", "ListUser", "GetUser", "GetUserByNumber", "GetSystemStatus",
        "ListCallHistoryView", "GetCallLogData", *(f"Get{n}Data" for n in REPORT_CALLS),
    }
    assert ops == validated_here


@pytest.mark.parametrize("name", sorted(REPORT_CALLS))
def test_report_functions_conform(api: Api, name: str) -> None:
    body = api.get(f"/Report{name}/Pbx.Get{name}Data({REPORT_CALLS[name]})", **{"$count": "true"})
    validate(f"Get{name}Data", body)
    assert body["@odata.count"] == len(body["value"])
    if name not in ("QueueFailedCallbacks",):
        assert body["value"], name


def test_report_needs_every_parameter(api: Api) -> None:
    r = api.client.get(
        "/xapi/v1/ReportQueuePerformanceTotals/Pbx.GetQueuePerformanceTotalsData("
        "periodFrom=2026-01-05T00:00:00Z,periodTo=2026-01-06T00:00:00Z)",
        headers={"Authorization": f"Bearer {api.token}"})
    assert r.status_code == 400
    assert "queueDns" in r.json()["error"]["message"]


def test_reports_agree_with_truth(api: Api) -> None:
    visits = api.sim.truth.visits("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z")
    by_queue = Counter(v["queue_dn"] for v in visits)
    answered = Counter(v["queue_dn"] for v in visits if v["answered_at"])
    abandoned = Counter(v["queue_dn"] for v in visits if v["outcome"] == "abandoned")
    totals = api.get("/ReportQueuePerformanceTotals/Pbx.GetQueuePerformanceTotalsData("
                     f"{REPORT_CALLS['QueuePerformanceTotals']})")["value"]
    for row in totals:
        assert row["QueueReceivedCount"] == by_queue[row["QueueDn"]]
        assert row["ExtensionAnsweredCount"] == answered[row["QueueDn"]]
        assert row["ExtensionDroppedCount"] == abandoned[row["QueueDn"]]
    aband = api.get("/ReportAbandonedQueueCalls/Pbx.GetAbandonedQueueCallsData("
                    f"{REPORT_CALLS['AbandonedQueueCalls']})", **{"$count": "true"})
    assert aband["@odata.count"] == sum(abandoned.values()) > 0
    by_wait = api.get("/ReportQueueAnsweredCallsByWaitTime/Pbx."
                      "GetQueueAnsweredCallsByWaitTimeData("
                      f"{REPORT_CALLS['QueueAnsweredCallsByWaitTime']})")["value"]
    assert len(by_wait) == sum(answered.values())
    sla = api.get("/ReportStatisticSla/Pbx.GetStatisticSlaData("
                  f"{REPORT_CALLS['StatisticSla']})")["value"]
    bad = Counter(v["queue_dn"] for v in visits
                  if v["wait_s"] is not None and v["wait_s"] > 20)
    assert {r["QueueDnNumber"]: r["BadSlaCallsCount"] for r in sla} == {
        dn: bad[dn] for dn in ("800", "801", "802")}
    # CDR (finished calls only): one queue segment per visit, one talk segment per answer
    hist = api.get("/CallHistoryView")["value"]
    done = [v for c in api.sim.truth.calls() if c["ended_at"] for v in c["visits"]]
    assert Counter(r["DstDn"] for r in hist if r["SegmentType"] == 1) == Counter(
        v["queue_dn"] for v in done)
    assert Counter(r["DstDn"] for r in hist if r["SegmentType"] == 2 and r["SrcExternal"]) == (
        Counter(v["agent_dn"] for v in done if v["answered_at"]))


def test_token_rules() -> None:
    wall = [0.0]
    sim = Simulator(manual_config(token_ttl_s=60), token_wall=lambda: wall[0])
    api = Api(sim)
    c = api.client
    first = api.token
    assert api.get("/SystemStatus")["Id"] == 1
    second = api.new_token()
    stale = c.get("/xapi/v1/SystemStatus", headers={"Authorization": f"Bearer {first}"})
    assert stale.status_code == 401
    validate("GetSystemStatus", stale.json(), "default")
    api.token = second
    assert api.get("/SystemStatus")["Id"] == 1
    wall[0] = 61.0
    expired = c.get("/xapi/v1/SystemStatus", headers={"Authorization": f"Bearer {second}"})
    assert expired.status_code == 401
    assert c.get("/xapi/v1/SystemStatus").status_code == 401
    wrong = c.post("/connect/token", data={"client_id": CLIENT_ID, "client_secret": "nope",
                                           "grant_type": "client_credentials"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    grant = c.post("/connect/token", data={"client_id": CLIENT_ID, "client_secret": "x",
                                           "grant_type": "password"})
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"
    # multipart form data, as the official auth.ts sends it
    multi = c.post("/connect/token", files={"client_id": (None, CLIENT_ID),
                                            "client_secret": (None, CLIENT_SECRET),
                                            "grant_type": (None, "client_credentials")})
    assert multi.status_code == 200
    reply = multi.json()
    assert set(reply) == {"token_type", "expires_in", "access_token", "refresh_token"}
    assert reply["expires_in"] == 60


def test_secret_not_in_config_repr() -> None:
    cfg = SimulatorConfig(client_secret="s3cr3t-value")
    assert "s3cr3t-value" not in repr(cfg)


@pytest.mark.parametrize("mode", ["queue", "agent"])
def test_answered_callee_modes_over_http(mode: str) -> None:
    sim = Simulator(manual_config(answered_callee=mode, noise_calls_per_min=0.0,
                                  transfer_prob=0.0))
    sim.advance(900)
    api = Api(sim)
    talking = api.get("/ActiveCalls", **{"$filter": "Status eq 'Talking'"})["value"]
    assert talking
    queue_dns = {q.dn for q in sim.engine.queues}
    agent_dns = {a.dn for a in sim.engine.agents}
    for call in talking:
        dn = call["Callee"].split(" ")[0]
        assert dn in (queue_dns if mode == "queue" else agent_dns)


def test_control_and_truth_endpoints() -> None:
    sim = Simulator(manual_config())
    c = TestClient(create_app(sim))
    before = c.get("/simulator/state").json()
    assert before["now"] == "2026-01-05T09:00:00.000Z"
    assert before["manual_clock"] is True
    moved = c.post("/simulator/control/advance", json={"seconds": 120}).json()
    assert moved == {"now": "2026-01-05T09:02:00.000Z", "advanced_s": 120.0}
    to = c.post("/simulator/control/advance", json={"to": "2026-01-05T09:05:00Z"}).json()
    assert to["now"] == "2026-01-05T09:05:00.000Z"
    visits = c.get("/simulator/truth/visits",
                   params={"from": "2026-01-05T08:55:00Z", "to": "2026-01-05T09:05:00Z"}).json()
    assert visits["value"] == sim.truth.visits("2026-01-05T08:55:00Z", "2026-01-05T09:05:00Z")
    assert {"pbx_id", "call_key", "queue_dn", "entered_at", "answered_at", "ended_at", "outcome",
            "wait_s", "talk_s", "agent_dn", "caller_number", "caller_name", "source",
            "reconciled_at"} <= set(
        visits["value"][0])
    kpi = c.get("/simulator/truth/kpi_1m").json()["value"]
    assert sum(r["offered"] for r in kpi) == len(sim.truth.visits())
    calls = c.get("/simulator/truth/calls").json()["value"]
    assert calls[0]["events"][0]["type"] == "call_started"
    assert c.get("/simulator/truth/agent_states").json()["value"]
    c.post("/simulator/control/restart")
    assert sim.engine.active == {}
    assert c.post("/simulator/control/advance", json={"seconds": -3}).status_code == 400
    assert c.get("/simulator/truth/visits", params={"from": "yesterday"}).status_code == 400


def test_rows_use_only_spec_properties(api: Api) -> None:
    checks = {
        "Pbx.ActiveCall": api.get("/ActiveCalls")["value"],
        "Pbx.Queue": api.get("/Queues", **{"$expand": "Agents($select=Number),Managers"})["value"],
        "Pbx.QueueAgent": api.get("/Queues(100001)/Agents")["value"],
        "Pbx.QueueManager": api.get("/Queues(100001)/Managers")["value"],
        "Pbx.User": api.get("/Users")["value"],
        "Pbx.SystemStatus": [api.get("/SystemStatus")],
        "Pbx.CallHistoryView": api.get("/CallHistoryView", **{"$top": "20"})["value"],
    }
    for name, args in REPORT_CALLS.items():
        schema = {"AverageQueueWaitingTime": "TimeReportData",
                  "QueueAnUnCalls": "TimeReportData"}.get(name, name)
        checks[f"Pbx.{schema}"] = api.get(f"/Report{name}/Pbx.Get{name}Data({args})")["value"]
    for schema, rows in checks.items():
        allowed = schema_properties(schema)
        for row in rows:
            assert set(row) <= allowed, (schema, set(row) - allowed)
    expanded = api.get("/Queues", **{"$expand": "Agents($select=Number),Managers"})["value"]
    assert expanded[0]["Agents"]
    assert expanded[0]["Managers"][0]["Number"] == expanded[0]["Agents"][0]["Number"]


def test_select_of_unmodelled_spec_properties_is_accepted(api: Api) -> None:
    users = api.get("/Users", **{"$select": "Number,Mobile,Language", "$top": "2"})["value"]
    assert users == [{"Number": "1000"}, {"Number": "1001"}]
    queue = api.get("/Queues(100001)", **{"$select": "Number,Groups,CallbackPrefix"})
    assert queue == {"Number": "800"}
