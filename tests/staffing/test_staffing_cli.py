"""``queuepulse staffing`` as a planner uses it: the table, the JSON object, clear refusals."""

from __future__ import annotations

import json

import pytest

from queuepulse.cli import main

pytestmark = pytest.mark.unit


def test_text_table_marks_the_agents_needed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staffing", "--calls-per-hour", "200", "--aht", "180", "--target", "80/20"]) == 0
    out = capsys.readouterr().out
    assert "agents needed: 14" in out
    rows = [line.split() for line in out.splitlines()[4:]]
    assert [int(r[0]) for r in rows] == [12, 13, 14, 15, 16]
    assert rows[2][-2:] == ["<-", "needed"]
    assert rows[2][1] == "88.8"


def test_json_object_with_erlang_a(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staffing", "--calls-per-hour", "200", "--aht", "180", "--target", "80/20",
                 "--patience", "120", "--max-occupancy", "0.85", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"agents_needed", "service_level_pct", "asa_s", "abandon_pct", "occupancy_pct",
            "table"} <= set(result)
    n = result["agents_needed"]
    assert [row["agents"] for row in result["table"]] == list(range(n - 2, n + 3))
    needed = result["table"][2]
    assert needed["service_level_pct"] == result["service_level_pct"] >= 80
    assert result["table"][1]["service_level_pct"] < 80
    assert result["abandon_pct"] > 0
    assert result["occupancy_pct"] <= 85
    assert result["model"] == "erlang-a"
    # abandonment lets fewer agents meet the target than Erlang C's 14
    assert n < 14


def test_occupancy_cap_adds_agents(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["staffing", "--calls-per-hour", "1000", "--aht", "180", "--target", "50/60",
            "--format", "json"]
    assert main([*args, "--max-occupancy", "1"]) == 0
    free = json.loads(capsys.readouterr().out)
    assert main([*args, "--max-occupancy", "0.8"]) == 0
    capped = json.loads(capsys.readouterr().out)
    assert capped["agents_needed"] > free["agents_needed"]
    assert capped["occupancy_pct"] <= 80


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calls-per-hour", "-5", "--aht", "180"], "--calls-per-hour cannot be negative"),
        (["--calls-per-hour", "100", "--aht", "0"], "--aht must be greater than 0"),
        (["--calls-per-hour", "100", "--aht", "180", "--target", "120/20"],
         "--target per cent must be above 0 and below 100"),
        (["--calls-per-hour", "100", "--aht", "180", "--target", "100/20"],
         "--target per cent must be above 0 and below 100"),
        (["--calls-per-hour", "100", "--aht", "180", "--target", "eighty"],
         "--target must look like 80/20"),
        (["--calls-per-hour", "100", "--aht", "180", "--patience", "-3"],
         "--patience must be greater than 0"),
        (["--calls-per-hour", "100", "--aht", "180", "--max-occupancy", "1.5"],
         "--max-occupancy must be at most 1"),
        (["--calls-per-hour", "lots", "--aht", "180"], "--calls-per-hour must be a number"),
        (["--aht", "180"], "give --calls-per-hour and --aht"),
        (["--calls-per-hour", "10", "--aht", "180", "--date", "2026-01-01"],
         "--date needs --queue"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
        args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["staffing", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


def test_site_time_zone_is_validated(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from queuepulse.errors import ConfigError
    from queuepulse.settings import load_settings

    monkeypatch.setenv("QUEUEPULSE_PBX__TIME_ZONE", "Europe/Berlin")
    assert load_settings().pbx.time_zone == "Europe/Berlin"
    monkeypatch.setenv("QUEUEPULSE_PBX__TIME_ZONE", "Mars/Olympus_Mons")
    with pytest.raises(ConfigError, match="QUEUEPULSE_PBX__TIME_ZONE"):
        load_settings()
    monkeypatch.delenv("QUEUEPULSE_PBX__TIME_ZONE")
    assert load_settings().pbx.time_zone == "UTC"
    # the command's own option: one line, exit 2, before touching the database
    assert main(["run", "forecast", "--once", "--time-zone", "Nowhere/Land"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["queuepulse: error: unknown time zone 'Nowhere/Land': use an IANA name such "
                   "as Europe/Berlin or UTC"]
