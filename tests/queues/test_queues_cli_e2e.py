"""``queuepulse queues`` end to end: the CLI in-process against the simulated PBX over real HTTP
and the test database (audit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from queues_helpers import cli_env, run_cli, simulated_pbx

pytestmark = pytest.mark.e2e


def _audit(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT client_id, pbx_id, queue_dn, agent_dn, action, field, old_value, new_value, "
            "outcome FROM queue_config_changes ORDER BY changed_at, queue_dn, field"
        ).fetchall()


def test_export_plan_edit_apply_roundtrip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    pg_dsn: str,
) -> None:
    with simulated_pbx() as sim:
        cli_env(monkeypatch, sim, pg_dsn)
        path = tmp_path / "queues.yaml"
        code, _, err = run_cli(capsys, "queues", "export", "-o", str(path))
        assert code == 0, err
        text = path.read_text()
        assert text.count("- number:") == 3
        assert '- number: "800"' in text
        # a second export is byte-identical (stable order)
        again = tmp_path / "again.yaml"
        run_cli(capsys, "queues", "export", "-o", str(again))
        assert again.read_text() == text

        code, out, err = run_cli(capsys, "queues", "plan", "-f", str(path))
        assert (code, out.strip()) == (0, "no changes"), err

        # edit: a field, a member list, a new queue
        sales = sim.simulator.engine.queue_by_dn["800"]
        first_agent = sim.simulator.engine.agents[sales.agents[0]].dn
        edited = text.replace("sla_time: 20", "sla_time: 45", 1)
        edited += (
            '  - number: "810"\n'
            "    name: Escalations\n"
            "    polling_strategy: LongestWaiting\n"
            "    wrap_up_time: 15\n"
            "    agents:\n"
            f'      - "{first_agent}"\n'
            '      - {number: "1011", skill_group: Senior}\n'
        )
        path.write_text(edited)
        code, out, err = run_cli(capsys, "queues", "plan", "-f", str(path))
        assert code == 2, err
        lines = out.strip().splitlines()
        assert lines == [
            "+ queue 810 (create)",
            "    name: 'Escalations'",
            "    polling_strategy: 'LongestWaiting'",
            "    wrap_up_time: 15 s",
            f"    agents: [{first_agent}, 1011/Senior]",
            "~ queue 800 (update)",
            "    sla_time: 20 -> 45",
            "plan: 1 to create, 1 to update, 0 to delete",
        ]
        assert _audit(pg_dsn) == []  # plan writes nothing

        code, out, err = run_cli(capsys, "queues", "apply", "-f", str(path), "--yes")
        assert code == 0, (out, err)
        assert "apply: 2 applied, 0 failed" in out
        code, out, _ = run_cli(capsys, "queues", "plan", "-f", str(path))
        assert (code, out.strip()) == (0, "no changes")
        created = sim.simulator.engine.queue_by_dn["810"]
        assert created.strategy == "LongestWaiting"
        assert sim.simulator.engine.queue_by_dn["800"].sla_s == 45

        rows = _audit(pg_dsn)
        assert {r[0] for r in rows} == {"queuepulse-apply"}  # who: the API client id
        assert {r[1] for r in rows} == {"pbx-a"}
        assert ("800", "update", "sla_time", 20, 45, "applied") in [
            (r[2], r[4], r[5], r[6], r[7], r[8]) for r in rows]
        create_fields = sorted(r[5] for r in rows if r[4] == "create")
        assert create_fields == ["agents", "name", "polling_strategy", "wrap_up_time"]
        members = next(r[7] for r in rows if r[4] == "create" and r[5] == "agents")
        assert members == [first_agent, {"number": "1011", "skill_group": "Senior"}]

        # idempotent: a second apply changes nothing and audits nothing
        code, out, _ = run_cli(capsys, "queues", "apply", "-f", str(path), "--yes")
        assert (code, out.strip()) == (0, "no changes")
        assert len(_audit(pg_dsn)) == len(rows)
        # one POST (with its fields) for 810, one PATCH for 800: nothing twice
        assert [(c["action"], c["queue_dn"]) for c in sim.truth.queue_changes()] == [
            ("created", "810"), ("updated", "810"), ("updated", "800")]


BAD_FILE = """\
queues:
  - number: "800"
    name: Sales
    sla_time: thirty
    colour: red
    polling_strategy: RingAl
    priority_queue: "yes"
    agents: ["1000", "4711", "1000"]
  - number: 801
  - number: "800"
    wrap_up_time: -1
  - name: no number
  - number: "802"
    managers: ["9999"]
    notify_codes: [CallLost, Lunch]
"""


def test_bad_file_reports_every_problem_with_its_line_and_applies_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with simulated_pbx() as sim:
        cli_env(monkeypatch, sim, None)
        path = tmp_path / "bad.yaml"
        path.write_text(BAD_FILE)
        code, out, err = run_cli(capsys, "queues", "plan", "-f", str(path))
        assert code == 1
        assert out == ""
        expected = [
            f"{path}:4: queue 800.sla_time: expected a whole number, got 'thirty'",
            f"{path}:5: queues[0].colour: unknown key",
            f"{path}:6: queue 800.polling_strategy: 'RingAl' is not one of",
            f"{path}:7: queue 800.priority_queue: expected true or false, got 'yes'",
            f"{path}:8: queue 800.agents[2]: extension 1000 is listed twice",
            f"{path}:9: queues[1].number: extension numbers are strings: quote it (\"801\")",
            f"{path}:10: queues[2].number: queue 800 is declared twice (first at line 2)",
            f"{path}:12: queues[3]: number is required",
            f"{path}:14: queue 802.managers: extension 9999 is not a user of this PBX",
            f"{path}:15: queue 802.notify_codes[1]: 'Lunch' is not one of",
            f"{path}:8: queue 800.agents: extension 4711 is not a user of this PBX",
        ]
        for text in expected:
            assert text in err, (text, err)
        assert "11 problem(s); nothing was applied" in err
        # problems come sorted by line
        listed = [line for line in err.splitlines() if line.startswith(f"  {path}:")]
        assert len(listed) == 11
        lines = [int(line.split(":")[1]) for line in listed]
        assert lines == sorted(lines)
        code, out, err = run_cli(capsys, "queues", "apply", "-f", str(path), "--yes",
                                 "--no-audit")
        assert code == 2
        assert "nothing was applied" in err
        assert sim.truth.queue_changes() == []


def test_agents_login_logout_are_applied_and_audited(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_dsn: str,
) -> None:
    with simulated_pbx() as sim:
        cli_env(monkeypatch, sim, pg_dsn)
        engine = sim.simulator.engine
        agent = next(a for a in engine.agents if a.logged_in)
        code, out, err = run_cli(capsys, "queues", "agents", "logout", agent.dn)
        assert code == 0, err
        assert out.strip() == f"{agent.dn}: logged out"
        assert not agent.logged_in
        code, out, _ = run_cli(capsys, "queues", "agents", "login", agent.dn, "4711")
        assert code == 1
        assert f"{agent.dn}: logged in" in out
        assert "4711: refused: extension 4711 is not a user of this PBX" in out
        assert agent.logged_in
        rows = _audit(pg_dsn)
        assert [(r[3], r[4], r[6], r[7], r[8]) for r in rows if r[3] == agent.dn] == [
            (agent.dn, "agent_logout", "LoggedIn", "LoggedOut", "applied"),
            (agent.dn, "agent_login", "LoggedOut", "LoggedIn", "applied"),
        ]
        assert ("4711", "agent_login", "refused") in {(r[3], r[4], r[8]) for r in rows}


def test_list_and_show(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    with simulated_pbx() as sim:
        cli_env(monkeypatch, sim, None)
        code, out, err = run_cli(capsys, "queues", "list", "--no-db")
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].split()[:4] == ["QUEUE", "NAME", "STRATEGY", "SLA"]
        assert [line.split()[0] for line in lines[1:]] == ["800", "801", "802"]
        q = sim.simulator.engine.queue_by_dn["801"]
        members = [sim.simulator.engine.agents[i] for i in q.agents]
        code, out, _ = run_cli(capsys, "queues", "show", "801", "--no-db")
        assert code == 0
        assert "queue 801 (Id 100002)" in out
        for a in members:
            state = "LoggedIn" if a.logged_in else "LoggedOut"
            assert f"{a.dn:<8} {a.name:<24} {state}" in out
        code, _, err = run_cli(capsys, "queues", "show", "899", "--no-db")
        assert code == 2
        assert "no queue 899" in err


def test_apply_refuses_before_writing_when_the_audit_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    pg_empty_dsn: str,
) -> None:
    with simulated_pbx() as sim:
        cli_env(monkeypatch, sim, pg_empty_dsn)  # a database without the schema
        path = tmp_path / "q.yaml"
        path.write_text('queues:\n  - number: "800"\n    sla_time: 99\n')
        code, _, err = run_cli(capsys, "queues", "apply", "-f", str(path), "--yes")
        assert code == 2
        assert "no queue_config_changes table" in err
        assert "Nothing was written to the PBX" in err
        monkeypatch.setenv("QUEUEPULSE_DB__DSN", "postgresql://nobody@127.0.0.1:1/none")
        code, _, err = run_cli(capsys, "queues", "apply", "-f", str(path), "--yes")
        assert code == 2
        assert "cannot be reached" in err
        assert "--no-audit" in err
        assert sim.simulator.engine.queue_by_dn["800"].sla_s == 20
        assert sim.truth.queue_changes() == []


def test_list_shows_live_figures_from_the_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_dsn: str,
) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES ('pbx-a', '800', "
            "now(), 4)")
        conn.execute(
            "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned, "
            "short_abandoned, answered_in_sla) VALUES ('pbx-a', '800', "
            "date_trunc('minute', now()), 12, 9, 3, 1, 8)")
    with simulated_pbx() as sim:
        cli_env(monkeypatch, sim, pg_dsn)
        code, out, err = run_cli(capsys, "queues", "list")
        assert code == 0, err
        row = next(line for line in out.splitlines() if line.startswith("800 "))
        assert row.split()[-4:] == ["4", "12", "9", "72.7"]  # waiting, offered, answered, SLA%
        code, out, _ = run_cli(capsys, "queues", "show", "800")
        assert "now: 4 waiting; today (UTC): 12 offered, 9 answered, 3 abandoned, SLA 72.7 %" \
            in out
