"""Cluster membership in-process: the address list, the command-line options and their
settings fallbacks, each member's share of the recovery partitions, the member id on
/healthz and /metrics."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from queuepulse.commands.cluster_options import add_cluster_options, cluster_from_args
from queuepulse.errors import ConfigError
from queuepulse.live.metrics import LiveMetrics
from queuepulse.live.runner import Member, ensure_recovery_dir, parse_addresses
from queuepulse.settings import load_settings

pytestmark = pytest.mark.unit


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_cluster_options(parser)
    return parser.parse_args(list(argv))


def test_addresses_accept_commas_and_bytewax_semicolons() -> None:
    assert parse_addresses("live-0:2101, live-1:2101") == ["live-0:2101", "live-1:2101"]
    assert parse_addresses("a:1;b:2") == ["a:1", "b:2"]
    assert parse_addresses("[::1]:2101") == ["[::1]:2101"]


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"), ("live-0", "not host:port"), ("live-0:http", "not host:port"),
    ("a:1,a:1", "twice"), (":2101", "not host:port"), ("a:70000", "not host:port")])
def test_bad_addresses_name_the_entry(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_addresses(text)


def test_options_make_a_member() -> None:
    cluster = cluster_from_args(_args("--addresses", "h0:2101,h1:2101", "--process-id", "1"),
                                load_settings())
    assert (cluster.process_id, cluster.addresses) == (1, ["h0:2101", "h1:2101"])
    assert cluster_from_args(_args(), load_settings()).process_id is None


def test_settings_make_a_member_for_containers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEPULSE_CLUSTER__ADDRESSES", "live-0:2101,live-1:2101")
    monkeypatch.setenv("QUEUEPULSE_CLUSTER__PROCESS_ID", "0")
    monkeypatch.setenv("QUEUEPULSE_CLUSTER__JOIN_TIMEOUT_S", "30")
    cluster = cluster_from_args(_args(), load_settings())
    assert (cluster.process_id, cluster.addresses, cluster.join_timeout_s) == (
        0, ["live-0:2101", "live-1:2101"], 30.0)
    # the command line wins over the environment
    assert cluster_from_args(_args("--process-id", "1"), load_settings()).process_id == 1


@pytest.mark.parametrize(("argv", "processes", "words"), [
    (("--addresses", "a:1,b:2"), 1, "needs --process-id"),
    (("--process-id", "0"), 1, "needs --addresses"),
    (("--addresses", "a:1,b:2", "--process-id", "2"), 1, "is not a member"),
    (("--addresses", "a:1,b:2", "--process-id", "0"), 2, "not both"),
    (("--join-timeout-s", "0"), 1, "positive")])
def test_incomplete_membership_is_one_clear_error(
    argv: tuple[str, ...], processes: int, words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        cluster_from_args(_args(*argv), load_settings(), processes=processes)


def _parts(directory: Path) -> dict[int, int]:
    """part index -> size of its set, from each file in ``directory``."""
    out = {}
    for path in directory.glob("part-*.sqlite3"):
        with sqlite3.connect(path) as conn:
            index, count = conn.execute("SELECT part_index, part_count FROM parts").fetchone()
        out[index] = count
    return out


def test_each_member_initialises_its_share_of_the_recovery_partitions(tmp_path: Path) -> None:
    for i in range(2):  # two hosts, two workers each: four partitions
        ensure_recovery_dir(tmp_path / f"m{i}", 4, Member(i, 2, 2))
    assert _parts(tmp_path / "m0") == {0: 4, 2: 4}
    assert _parts(tmp_path / "m1") == {1: 4, 3: 4}
    assert not list((tmp_path / "m0").glob(".init-*"))  # nothing left behind
    # a restart keeps what is there
    before = (tmp_path / "m0" / "part-0.sqlite3").stat().st_mtime_ns
    ensure_recovery_dir(tmp_path / "m0", 4, Member(0, 2, 2))
    assert (tmp_path / "m0" / "part-0.sqlite3").stat().st_mtime_ns == before


def test_members_sharing_one_directory_add_up_to_the_whole_set(tmp_path: Path) -> None:
    for i in range(3):
        ensure_recovery_dir(tmp_path, 3, Member(i, 3))
    assert _parts(tmp_path) == {0: 3, 1: 3, 2: 3}
    # a lone process creates the whole set
    ensure_recovery_dir(tmp_path / "alone", 2)
    assert _parts(tmp_path / "alone") == {0: 2, 1: 2}


def test_a_directory_of_another_cluster_shape_is_used_as_it_is(tmp_path: Path) -> None:
    ensure_recovery_dir(tmp_path, 1)  # ran alone before: one partition
    ensure_recovery_dir(tmp_path, 2, Member(1, 2))  # now member 1 of 2 in the same directory
    assert _parts(tmp_path) == {0: 1}  # no part-1 of a set of 2 beside a set of 1


def test_member_id_on_healthz_and_metrics() -> None:
    from prometheus_client import generate_latest

    metrics = LiveMetrics()
    assert "member" not in metrics.health(5.0)
    metrics.set_member(1, 3, 2)
    assert metrics.health(5.0)["member"] == {
        "process_id": 1, "processes": 3, "workers_per_process": 2}
    text = generate_latest(metrics.registry).decode()
    assert ('queuepulse_cluster_member_info{process_id="1",processes="3",'
            'workers_per_process="2"} 1.0') in text
