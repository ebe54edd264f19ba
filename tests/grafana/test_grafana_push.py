"""``queuepulse grafana push`` against a tiny fake Grafana HTTP API on 127.0.0.1.

The fake keeps state like Grafana (datasources, folders, dashboards, rule groups, contact
points, policy tree) and records every request, so the test proves what is sent, that a second
push is idempotent, and that the token never leaves the Authorization header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from queuepulse.cli import main
from queuepulse.grafana.alerts import alert_specs
from queuepulse.grafana.boards import DASHBOARDS
from queuepulse.grafana.ids import DATASOURCE_UID, FOLDER_UID
from queuepulse.grafana.push import PushError, PushOptions, connect, push

pytestmark = pytest.mark.unit

TOKEN = "glsa_test_token_123"


@dataclass
class FakeGrafana:
    """Grafana's state and the requests it saw."""

    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    contact_points: list[dict[str, Any]] = field(default_factory=list)
    policy: dict[str, Any] | None = None
    fail_dashboards: bool = False
    odd_reply: tuple[str, int, str, bytes] | None = None
    """(path part, status, content type, body) answered instead of the API's reply."""

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self.odd_reply is not None and self.odd_reply[0] in path:
            return self.odd_reply[1], self.odd_reply[2:]
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:3] == ["api", "datasources", "uid"]:
            uid = parts[3]
            if method == "GET":
                return (200, self.datasources[uid]) if uid in self.datasources else (404, {})
            self.datasources[uid] = body
            return 200, {"message": "updated"}
        if parts == ["api", "datasources"] and method == "POST":
            self.datasources[body["uid"]] = body
            return 200, {"message": "added"}
        if parts[:2] == ["api", "folders"]:
            if method == "GET":
                uid = parts[2]
                return (200, self.folders[uid]) if uid in self.folders else (404, {})
            self.folders[body["uid"]] = body
            return 200, body
        if parts == ["api", "dashboards", "db"]:
            if self.fail_dashboards:
                return 412, {"message": "version-mismatch"}
            self.dashboards[body["dashboard"]["uid"]] = body
            return 200, {"status": "success"}
        if parts[:4] == ["api", "v1", "provisioning", "folder"] and "rule-groups" in parts:
            self.rule_groups[(parts[4], parts[6])] = body
            return 200, body
        if parts == ["api", "v1", "provisioning", "contact-points"]:
            if method == "GET":
                return 200, self.contact_points
            self.contact_points.append(body)
            return 202, body
        if parts == ["api", "v1", "provisioning", "policies"]:
            self.policy = body
            return 202, {"message": "policies updated"}
        return 404, {"message": f"fake grafana: no route {method} {path}"}


@pytest.fixture
def grafana() -> Iterator[tuple[FakeGrafana, str]]:
    fake = FakeGrafana()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            fake.requests.append((self.command, self.path, dict(self.headers), body))
            status, payload = fake.handle(self.command, self.path, body)
            if isinstance(payload, tuple):  # an odd reply: (content type, raw body)
                ctype, data = payload
            else:
                ctype, data = "application/json", json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_push_installs_everything_and_is_idempotent(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    api = connect(url, TOKEN)
    first = push(api, PushOptions(db_url="db.internal:5432", db_password="s3cret"))
    assert f"datasource {DATASOURCE_UID}" in first.created
    assert f"folder {FOLDER_UID}" in first.created
    assert "contact point qp-oncall" in first.created

    ds = fake.datasources[DATASOURCE_UID]
    assert ds["type"] == "grafana-postgresql-datasource"
    assert ds["url"] == "db.internal:5432"
    assert ds["jsonData"]["timescaledb"] is True
    assert ds["secureJsonData"] == {"password": "s3cret"}
    assert ds["jsonData"]["sslmode"] == "verify-full"  # TLS checked unless told otherwise
    assert ds["jsonData"]["sslRootCertFile"] == ""  # no unexpanded ${...} sent over the API
    assert len(fake.dashboards) == len(DASHBOARDS)
    assert all(d["folderUid"] == FOLDER_UID and d["overwrite"] for d in fake.dashboards.values())
    assert all(d["dashboard"]["id"] is None for d in fake.dashboards.values())
    groups = {g: body for (_, g), body in fake.rule_groups.items()}
    assert set(groups) == {"queuepulse-queues", "queuepulse-pipeline"}
    assert groups["queuepulse-pipeline"]["interval"] == 20
    rules = [r for g in groups.values() for r in g["rules"]]
    assert len(rules) == len(alert_specs())
    assert all(r["folderUID"] == FOLDER_UID and r["data"][0]["datasourceUid"] == DATASOURCE_UID
               for r in rules)  # fmt: skip
    assert fake.policy is None  # not without --policy

    state = json.dumps([fake.datasources, fake.folders, fake.dashboards,
                        {str(k): v for k, v in fake.rule_groups.items()},
                        fake.contact_points], sort_keys=True)  # fmt: skip
    sent = len(fake.requests)
    second = push(api, PushOptions(db_url="db.internal:5432", db_password="s3cret"))
    assert second.created == []
    assert f"folder {FOLDER_UID}" in second.kept
    assert "contact point qp-oncall" in second.kept
    after = json.dumps([fake.datasources, fake.folders, fake.dashboards,
                        {str(k): v for k, v in fake.rule_groups.items()},
                        fake.contact_points], sort_keys=True)  # fmt: skip
    assert after == state
    assert len(fake.requests) - sent == sent - 2  # no folder/contact-point creation the 2nd time

    for _, path, headers, body in fake.requests:
        assert headers.get("Authorization") == f"Bearer {TOKEN}"
        assert TOKEN not in path
        assert TOKEN not in json.dumps(body)


def test_contact_point_and_policy_are_editable(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    push(connect(url, TOKEN), PushOptions(set_policy=True))
    assert fake.policy is not None
    assert fake.policy["receiver"] == "queuepulse-oncall"
    edits = [
        headers
        for method, path, headers, _ in fake.requests
        if method in ("POST", "PUT") and ("contact-points" in path or "policies" in path)
    ]
    assert edits
    assert all(h.get("X-Disable-Provenance") == "true" for h in edits)
    # without a password the datasource keeps whatever secret Grafana already has
    assert "secureJsonData" not in fake.datasources[DATASOURCE_UID]


def test_push_error_names_the_step(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    fake.fail_dashboards = True
    with pytest.raises(PushError, match=r"at dashboard qp-.*HTTP 412.*version-mismatch"):
        push(connect(url, TOKEN))


def test_push_command_needs_a_token(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.delenv("QUEUEPULSE_GRAFANA_TOKEN", raising=False)
    assert main(["grafana", "push", "--url", "http://127.0.0.1:9"]) == 2
    assert "QUEUEPULSE_GRAFANA_TOKEN" in capsys.readouterr().err


def test_push_command_end_to_end(
    grafana: tuple[FakeGrafana, str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    fake, url = grafana
    monkeypatch.setenv("QUEUEPULSE_GRAFANA_TOKEN", TOKEN)
    monkeypatch.setenv("QUEUEPULSE_GRAFANA_DB_PASSWORD", "pw")
    assert main(["grafana", "push", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "created datasource queuepulse-tsdb" in out
    assert fake.datasources[DATASOURCE_UID]["secureJsonData"] == {"password": "pw"}
    assert "pw" not in out
    assert main(["grafana", "push", "--url", url, "--db-sslmode", "require",
                 "--db-ca-file", "/etc/ssl/db-ca.pem"]) == 0
    tls = fake.datasources[DATASOURCE_UID]["jsonData"]
    assert (tls["sslmode"], tls["sslRootCertFile"]) == ("require", "/etc/ssl/db-ca.pem")


def test_unreachable_grafana_is_a_clean_error() -> None:
    with pytest.raises(PushError, match="cannot reach Grafana"):
        push(connect("http://127.0.0.1:9", TOKEN, timeout_s=2))


LOGIN_PAGE = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body>SSO</body></html>"


@pytest.mark.parametrize(
    ("odd", "step"),
    [
        (("/api/datasources", 200, "text/html; charset=utf-8", LOGIN_PAGE), "datasource"),
        (("/api/folders", 200, "application/json", b"<html>not json</html>"), "folder"),
        (("/api/dashboards/db", 200, "application/json", b"[1, 2]"), "dashboard qp-"),
        (("contact-points", 200, "application/json", b'{"items": []}'), "contact point"),
        (("/api/folders", 502, "text/html", LOGIN_PAGE * 20), "folder"),
    ],
)
def test_an_unexpected_reply_is_one_clear_line(
    grafana: tuple[FakeGrafana, str], monkeypatch: pytest.MonkeyPatch, capsys: Any,
    odd: tuple[str, int, str, bytes], step: str,
) -> None:
    fake, url = grafana
    fake.odd_reply = odd
    monkeypatch.setenv("QUEUEPULSE_GRAFANA_TOKEN", TOKEN)
    assert main(["grafana", "push", "--url", url]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"queuepulse: error: grafana push failed at {step}")
    assert "Traceback" not in captured.err
    assert TOKEN not in captured.err
