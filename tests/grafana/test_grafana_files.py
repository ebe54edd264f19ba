"""Golden check and provisioning references: the committed files are what Grafana reads."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from queuepulse.cli import main
from queuepulse.grafana.catalog import panel_queries
from queuepulse.grafana.ids import DATASOURCE_TYPE, DATASOURCE_UID, EXPR_UID, FOLDER_TITLE
from queuepulse.grafana.render import check_all, render_all

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "grafana"
PANEL_TYPES_WITH_UNITS = {"stat", "timeseries", "bargauge", "table", "heatmap"}


def load_yaml(rel: str) -> Any:
    return yaml.safe_load((GRAFANA / "provisioning" / rel).read_text(encoding="utf-8"))


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((GRAFANA / "dashboards").glob("*.json"))
    }


def test_committed_files_equal_generated() -> None:
    drift = check_all(ROOT)
    assert drift.clean, drift.summary()
    assert len(render_all()) == 14  # 9 dashboards, provisioning files, alert rules


def test_check_reports_drift_and_build_repairs_it(tmp_path: Path, capsys: Any) -> None:
    shutil.copytree(GRAFANA, tmp_path / "grafana")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    board = tmp_path / "grafana" / "dashboards" / "sla.json"
    board.write_text(board.read_text(encoding="utf-8").replace('"5m"', '"1m"'), encoding="utf-8")
    (tmp_path / "grafana" / "dashboards" / "old.json").write_text("{}", encoding="utf-8")
    (tmp_path / "grafana" / "provisioning" / "alerting" / "rules.yaml").unlink()

    assert main(["grafana", "check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "changed: grafana/dashboards/sla.json" in err
    assert "missing: grafana/provisioning/alerting/rules.yaml" in err
    assert "not generated (stray): grafana/dashboards/old.json" in err
    assert '-  "refresh": "1m"' in err

    assert main(["grafana", "build", "--root", str(tmp_path)]) == 0
    (tmp_path / "grafana" / "dashboards" / "old.json").unlink()
    assert main(["grafana", "check", "--root", str(tmp_path)]) == 0


def test_dashboards_are_grafana_11_json_with_stable_uids() -> None:
    boards = dashboards()
    assert set(boards) == {
        "wallboard", "queue-detail", "sla", "analytics", "agents", "call-history", "pipeline",
        "queue-config",
        "staffing",
    }  # fmt: skip
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    for name, board in boards.items():
        assert board["schemaVersion"] == 41, name
        assert board["annotations"]["list"][0]["builtIn"] == 1, name
        assert all(len(uid) <= 40 for uid in uids)
        ids = [p["id"] for p in board["panels"]]
        assert ids == list(range(1, len(ids) + 1)), name
    assert boards["wallboard"]["refresh"] == "1s"
    assert boards["wallboard"]["time"] == {"from": "now/d", "to": "now"}


def test_every_panel_has_description_datasource_and_unit() -> None:
    for board in dashboards().values():
        for panel in board["panels"]:
            where = f"{board['uid']}/{panel['title']}"
            assert panel.get("description"), where
            assert panel["datasource"] == {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID}, where
            if panel["type"] in PANEL_TYPES_WITH_UNITS:
                assert panel["fieldConfig"]["defaults"].get("unit"), where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == DATASOURCE_UID, where
                assert target["rawQuery"] is True
                assert target["format"] in ("table", "time_series")
                # no SQL comments: newer Grafana versions strip them before running the query
                assert "--" not in target["rawSql"], where
                assert "/*" not in target["rawSql"], where


def test_pbx_and_queue_pickers_are_multi_with_all() -> None:
    for board in dashboards().values():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert "pbx" in variables, board["uid"]
        for name in ("pbx", "queue", "agent"):
            if name in variables:
                v = variables[name]
                assert v["multi"] is True, (board["uid"], name)
                assert v["includeAll"] is True, (board["uid"], name)
                assert v["datasource"]["uid"] == DATASOURCE_UID
        used = {
            name
            for q in panel_queries(board)
            for name in variables
            if f"${name}" in q.sql or "${" + name in q.sql
        }
        assert used == set(variables), (board["uid"], set(variables) - used)


def test_datasource_provisioning() -> None:
    doc = load_yaml("datasources/queuepulse.yaml")
    assert doc["apiVersion"] == 1
    (ds,) = doc["datasources"]
    assert ds["type"] == "grafana-postgresql-datasource"
    assert ds["uid"] == DATASOURCE_UID
    assert ds["jsonData"]["timescaledb"] is True
    assert ds["user"] == "grafana"
    # Grafana reads the password from the Docker secret's file itself ($__file{}): no wrapped
    # entrypoint exporting it into the environment.
    reference = "$__file{/run/secrets/grafana_db_password}"
    assert ds["secureJsonData"]["password"] == reference
    text = (GRAFANA / "provisioning/datasources/queuepulse.yaml").read_text(encoding="utf-8")
    assert "password:" not in text.replace(f"password: {reference}", "")


def test_datasource_tls_is_verified_by_default_and_configurable(
    tmp_path: Path, capsys: Any
) -> None:
    (ds,) = load_yaml("datasources/queuepulse.yaml")["datasources"]
    assert ds["jsonData"]["sslmode"] == "verify-full"
    assert ds["jsonData"]["tlsConfigurationMethod"] == "file-path"
    assert ds["jsonData"]["sslRootCertFile"] == "${QUEUEPULSE_GRAFANA_DB_CA_FILE}"
    # another mode for a site that needs one: build writes it, check holds it to it
    shutil.copytree(GRAFANA, tmp_path / "grafana")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    root = ["--root", str(tmp_path)]
    assert main(["grafana", "build", *root, "--db-sslmode", "require"]) == 0
    written = yaml.safe_load(
        (tmp_path / "grafana/provisioning/datasources/queuepulse.yaml").read_text())
    assert written["datasources"][0]["jsonData"]["sslmode"] == "require"
    assert main(["grafana", "check", *root, "--db-sslmode", "require"]) == 0
    assert main(["grafana", "check", *root]) == 1  # drift from the secure default is reported
    assert main(["grafana", "build", *root, "--db-sslmode", "disable"]) == 0
    written = yaml.safe_load(
        (tmp_path / "grafana/provisioning/datasources/queuepulse.yaml").read_text())
    assert "sslRootCertFile" not in written["datasources"][0]["jsonData"]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["grafana", "build", *root, "--db-sslmode", "allow"])


def test_dashboard_provider_points_at_the_folder() -> None:
    doc = load_yaml("dashboards/queuepulse.yaml")
    (provider,) = doc["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == FOLDER_TITLE
    assert provider["options"]["path"].endswith("/dashboards/queuepulse")


def test_alert_rules_reference_real_things() -> None:
    doc = load_yaml("alerting/rules.yaml")
    boards = {b["uid"]: b for b in dashboards().values()}
    provider = load_yaml("dashboards/queuepulse.yaml")["providers"][0]
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert {r["uid"] for r in rules} == {
        "qp-sla-below-target", "qp-longest-wait", "qp-abandon-spike", "qp-no-agents",
        "qp-pipeline-stale", "qp-recon-drift", "qp-staffing-gap",
    }  # fmt: skip
    for group in doc["groups"]:
        assert group["folder"] == provider["folder"]
        assert group["interval"] in ("20s", "1m")
    for rule in rules:
        steps = {d["refId"]: d for d in rule["data"]}
        assert rule["condition"] in steps
        assert steps["A"]["datasourceUid"] == DATASOURCE_UID
        assert steps["A"]["model"]["datasource"]["uid"] == DATASOURCE_UID
        # bounded by time, or by the PBX's last successful poll (queue_now, pbx_freshness)
        assert "$__timeFilter" in steps["A"]["model"]["rawSql"] or rule["uid"] in (
            "qp-pipeline-stale", "qp-longest-wait")
        assert steps["B"]["model"]["type"] == "reduce"
        assert steps["C"]["model"]["type"] == "threshold"
        assert steps["B"]["datasourceUid"] == steps["C"]["datasourceUid"] == EXPR_UID
        board = boards[rule["dashboardUid"]]
        assert rule["panelId"] in {p["id"] for p in board["panels"]}, rule["uid"]
        assert rule["annotations"]["summary"]
        assert "${" not in json.dumps(rule["annotations"]), "Grafana would expand ${...} from env"
    pipeline = {r["uid"]: r for r in rules}["qp-pipeline-stale"]
    assert pipeline["noDataState"] == "Alerting"


# Grafana's alert-rule file-provisioning format ("Import alert rules" in Grafana's
# docs/sources/alerting/set-up/provision-alerting-resources/file-provisioning.md): the keys a
# group and a rule may carry, the required ones, and the allowed state values.
GROUP_KEYS = {"orgId", "name", "folder", "interval", "rules"}
RULE_REQUIRED = {"uid", "title", "condition", "data", "for"}
RULE_KEYS = RULE_REQUIRED | {"dashboardUid", "panelId", "noDataState", "execErrState",
                             "annotations", "labels", "isPaused"}
QUERY_KEYS = {"refId", "queryType", "relativeTimeRange", "datasourceUid", "model"}
DURATION = re.compile(r"^\d+[smhd]$")
RULE_UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def test_alert_rules_follow_the_file_provisioning_format() -> None:
    doc = load_yaml("alerting/rules.yaml")
    assert set(doc) == {"apiVersion", "groups"}
    assert doc["apiVersion"] == 1
    for group in doc["groups"]:
        assert set(group) == GROUP_KEYS, group["name"]
        assert isinstance(group["orgId"], int)
        assert isinstance(group["folder"], str)
        assert group["folder"]
        assert DURATION.match(group["interval"]), group["interval"]
        for rule in group["rules"]:
            keys = set(rule)
            assert RULE_REQUIRED <= keys <= RULE_KEYS, (rule["uid"], keys ^ RULE_KEYS)
            assert RULE_UID.match(rule["uid"]), rule["uid"]
            assert DURATION.match(rule["for"]), rule["for"]
            assert rule["noDataState"] in {"NoData", "Alerting", "OK"}
            assert rule["execErrState"] in {"Error", "Alerting", "OK"}
            assert isinstance(rule["panelId"], int)
            assert all(isinstance(v, str) for v in rule["annotations"].values())
            assert all(isinstance(v, str) for v in rule["labels"].values())
            refs = [q["refId"] for q in rule["data"]]
            assert len(set(refs)) == len(refs)
            assert rule["condition"] == refs[-1]
            for query in rule["data"]:
                assert set(query) == QUERY_KEYS, rule["uid"]
                window = query["relativeTimeRange"]
                assert set(window) == {"from", "to"}
                assert isinstance(window["from"], int)
                assert isinstance(window["to"], int)
                assert window["from"] >= window["to"] >= 0
                assert query["model"]["refId"] == query["refId"]
                assert query["model"]["datasource"]["uid"] == query["datasourceUid"]
    uids = [r["uid"] for g in doc["groups"] for r in g["rules"]]
    assert len(set(uids)) == len(uids)


def test_contact_point_and_policy_agree() -> None:
    points = load_yaml("alerting/contact-points.yaml")
    policies = load_yaml("alerting/policies.yaml")
    names = {cp["name"] for cp in points["contactPoints"]}
    (policy,) = policies["policies"]
    assert policy["receiver"] in names
    assert all(route["receiver"] in names for route in policy["routes"])
    text = (GRAFANA / "provisioning/alerting/policies.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Generated by `queuepulse grafana build` as a starting point")
