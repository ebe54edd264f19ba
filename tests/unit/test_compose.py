"""docker-compose.yml keeps its shape: services, images, volumes, healthchecks, profiles, secrets.

No Docker engine runs here, so this parses the file with PyYAML (merge keys resolved) and checks
what Compose would need.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
FLOWS = {"migrate", "live", "reconcile"}
CLUSTER = ("live-0", "live-1")  # the `cluster` profile: the live flow as two members
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|TOKEN|DSN|KEY", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_services_are_the_expected_ones(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {
        "timescaledb", "grafana", "prometheus", "simulator", "queues", *FLOWS, *CLUSTER
    }


def test_images(services: dict[str, dict[str, Any]]) -> None:
    assert re.fullmatch(r"timescale/timescaledb:2\.\d+\.\d+-pg15", services["timescaledb"]["image"])
    assert re.fullmatch(r"grafana/grafana-oss:11\.6\.\d+", services["grafana"]["image"])
    for name in (*FLOWS, "simulator"):
        build = services[name]["build"]
        assert build["context"] == "."
        assert (ROOT / build["dockerfile"]).is_file()


def test_the_dockerfile_ships_the_schema_and_runs_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "COPY schema ./schema" in text
    assert "QUEUEPULSE_SCHEMA_DIR=/app/schema" in text
    assert re.search(r"^USER (?!root)\w+", text, re.MULTILINE)
    assert 'ENTRYPOINT ["queuepulse"]' in text


def test_named_volumes_are_declared_and_used(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose["volumes"])
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared == {"timescaledb-data", "grafana-data", "prometheus-data",
                                "live-recovery", "live-0-recovery", "live-1-recovery"}
    assert "timescaledb-data:/var/lib/postgresql/data" in services["timescaledb"]["volumes"]


def test_grafana_mounts_the_provisioning_and_the_dashboards(
    services: dict[str, dict[str, Any]],
) -> None:
    mounts = {}
    for volume in services["grafana"]["volumes"]:
        parts = volume.split(":")
        mounts[parts[1]] = parts[0]
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    provider_file = ROOT / "grafana" / "provisioning" / "dashboards" / "queuepulse.yaml"
    if provider_file.exists():  # the dashboards provider reads the folder we mount
        provider = yaml.safe_load(provider_file.read_text())["providers"][0]
        assert mounts[provider["options"]["path"]] == "./grafana/dashboards"


LONG_RUNNING = ["timescaledb", "grafana", "prometheus", "simulator", "live", "reconcile",
                *CLUSTER]


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_healthchecks(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    check = services[name]["healthcheck"]
    assert not check.get("disable", False)
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert check["interval"]
    assert check["retries"] >= 3


def test_flows_wait_for_a_healthy_database_and_the_migration(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["migrate"]["depends_on"]["timescaledb"]["condition"] == "service_healthy"
    assert "db upgrade" in " ".join(services["migrate"]["command"])
    assert services["migrate"]["restart"] == "no"
    for name in ("live", "reconcile"):
        depends = services[name]["depends_on"]
        assert depends["timescaledb"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    commands = {name: services[name]["command"] for name in ("live", "reconcile")}
    assert commands == {
        "live": ["run", "live", "--recovery-dir", "/var/lib/queuepulse/recovery"],
        "reconcile": ["run", "reconcile"],
    }


def test_one_writer_of_the_dimension_tables(services: dict[str, dict[str, Any]]) -> None:
    """The live flow writes queues/agents/queue_agents and agent_states itself; a second writer
    (a `run sync` service, or live with --no-sync) would stamp SCD-2 rows with two clocks or
    leave them unwritten."""
    writers = [name for name, s in services.items()
               if isinstance(s.get("command"), list) and s["command"][:2] == ["run", "sync"]]
    assert writers == []
    assert "--no-sync" not in services["live"]["command"]


def test_only_the_simulator_is_behind_the_demo_profile(
    services: dict[str, dict[str, Any]],
) -> None:
    profiled = {name: s["profiles"] for name, s in services.items() if "profiles" in s}
    # the simulator only in the demo; `queues` (configuration as code) only when run on demand;
    # the two-member live cluster only in its profile
    assert profiled == {"simulator": ["demo"], "queues": ["tools"], "live-0": ["cluster"],
                        "live-1": ["cluster"]}
    for name in ("live", "reconcile"):  # they run without the demo profile too
        assert services[name]["depends_on"]["simulator"]["required"] is False


def test_queues_apply_has_its_own_api_client(services: dict[str, dict[str, Any]]) -> None:
    """Writes need a client whose 3CX role may change queues; it is not the monitoring one."""
    queues = services["queues"]
    assert queues["restart"] == "no"
    assert queues["command"][0] == "queues"
    client_id = _env(queues)["QUEUEPULSE_PBX__CLIENT_ID"]
    assert "queuepulse-apply" in client_id
    secret = _client_secret_source(queues)
    assert secret == "apply_client_secret"
    for name in ("live", "reconcile"):
        assert _client_secret_source(services[name]) != secret
    assert _mounted(queues)["queuepulse_db__dsn"] == "queuepulse_db__dsn"  # audit as the writer
    command = " ".join(services["simulator"]["command"])
    assert "--extra-client queuepulse-apply=/run/secrets/apply_client_secret" in command
    assert "./queues:/queues" in queues["volumes"]


def test_no_secret_is_written_inline(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    text = COMPOSE.read_text()
    assert not re.search(r"postgres(ql)?://[^\s/:@]+:[^\s@]+@", text), "a DSN with a password"
    for name, service in services.items():
        for key, value in _env(service).items():
            if SECRET_WORDS.search(key):
                assert key.endswith("__FILE") or key.endswith("_FILE"), (name, key)
                assert value.startswith("/run/secrets/"), (name, key)
        for secret in service.get("secrets", []):
            source = secret["source"] if isinstance(secret, dict) else secret
            assert source in compose["secrets"], (name, secret)
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"}, name
        assert secret["file"].startswith("./secrets/"), name


def test_published_ports_bind_to_localhost_only(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def _mounted(service: dict[str, Any]) -> dict[str, str]:
    """Secret name inside the container -> secret it comes from."""
    out = {}
    for secret in service.get("secrets", []):
        if isinstance(secret, dict):
            out[secret.get("target", secret["source"])] = secret["source"]
        else:
            out[secret] = secret
    return out


def test_flows_write_as_the_writer_role_and_only_migrate_holds_the_owner_dsn(
    services: dict[str, dict[str, Any]],
) -> None:
    migrate = services["migrate"]
    assert _mounted(migrate)["queuepulse_db__dsn"] == "db_admin_dsn"
    command = " ".join(migrate["command"])
    assert "login-role queuepulse_app --member-of writer" in command
    assert "--password-file /run/secrets/writer_db_password" in command
    assert "writer_db_password" in _mounted(migrate)
    for name, service in services.items():
        if name == "migrate":
            continue
        mounted = _mounted(service)
        assert "db_admin_dsn" not in mounted.values(), name
        if name in FLOWS:
            assert mounted["queuepulse_db__dsn"] == "queuepulse_db__dsn", name


def _client_secret_source(service: dict[str, Any]) -> str:
    for entry in service.get("secrets", []):
        source, target = (entry, entry) if isinstance(entry, str) else (
            entry["source"], entry.get("target", entry["source"]))
        if target == "queuepulse_pbx__client_secret":
            return str(source)
    raise AssertionError("no XAPI client secret mounted")


def test_each_pbx_client_has_its_own_api_client(services: dict[str, dict[str, Any]]) -> None:
    # 3CX keeps one active token per API client: live and reconcile must not share one.
    clients = {
        name: (_env(services[name]).get("QUEUEPULSE_PBX__CLIENT_ID", "queuepulse"),
               _client_secret_source(services[name]))
        for name in ("live", "reconcile")
    }
    assert clients["live"][0] != clients["reconcile"][0]
    assert clients["live"][1] != clients["reconcile"][1]
    # ... and the demo's simulator accepts the second client with that secret.
    command = " ".join(services["simulator"]["command"])
    reconcile_id = clients["reconcile"][0].split(":-")[-1].rstrip("}")
    assert f"--extra-client {reconcile_id}=/run/secrets/{clients['reconcile'][1]}" in command
    assert clients["reconcile"][1] in services["simulator"]["secrets"]


def test_healthchecks_probe_the_port_each_command_serves(
    services: dict[str, dict[str, Any]]
) -> None:
    # run live serves /healthz on the metrics port (9464), run reconcile on port + 2.
    for name, port in (("live", 9464), ("reconcile", 9466)):
        assert f"127.0.0.1:{port}/healthz" in " ".join(services[name]["healthcheck"]["test"])


def test_prometheus_scrapes_every_long_running_service_with_the_alert_rules(
    services: dict[str, dict[str, Any]],
) -> None:
    """The Prometheus service mounts a scrape configuration whose targets are the services'
    metrics ports, and the alert-rule file it names."""
    prometheus = services["prometheus"]
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    mounts = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"]}
    config_path = mounts["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load((ROOT / config_path).read_text())
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    targets = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
               for job in config["scrape_configs"]}
    # run live serves /metrics on 9464, run reconcile on 9464 + 2, the simulator on its port
    assert targets["queuepulse-live"] == ["live:9464"]
    assert targets["queuepulse-reconcile"] == ["reconcile:9466"]
    assert targets["queuepulse-simulator"] == ["simulator:5080"]
    for job, hosts in targets.items():
        for target in hosts:
            host = target.split(":")[0]
            assert host in services or host == "127.0.0.1", (job, target)
    (rule_file,) = config["rule_files"]
    assert (ROOT / mounts[rule_file]).is_file()
    assert mounts[rule_file] == "./prometheus/alerts.yml"
    # the services Prometheus scrapes listen on all interfaces in the image
    assert "QUEUEPULSE_OBSERVABILITY__METRICS_HOST=0.0.0.0" in (ROOT / "Dockerfile").read_text()


def test_grafana_reads_its_secrets_from_files_and_has_smtp_placeholders(
    services: dict[str, dict[str, Any]],
) -> None:
    grafana = services["grafana"]
    assert "entrypoint" not in grafana  # no wrapper exporting the password: $__file{} reads it
    assert "command" not in grafana
    env = _env(grafana)
    assert env["GF_SMTP_PASSWORD__FILE"] == "/run/secrets/grafana_smtp_password"
    for key in ("GF_SMTP_ENABLED", "GF_SMTP_HOST", "GF_SMTP_USER", "GF_SMTP_FROM_ADDRESS"):
        assert env[key].startswith("${" + key), key  # a placeholder .env can fill in
    mounted = _mounted(grafana)
    assert {"grafana_db_password", "grafana_smtp_password"} <= set(mounted)
    datasource = yaml.safe_load(
        (ROOT / "grafana/provisioning/datasources/queuepulse.yaml").read_text())
    password = datasource["datasources"][0]["secureJsonData"]["password"]
    assert password == "$__file{/run/secrets/grafana_db_password}"


def test_the_image_installs_the_tested_versions() -> None:
    """constraints.txt pins every dependency; the Dockerfile and set-up install with it."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            pins[name.lower().replace("_", "-")] = version
    for dependency in ("bytewax", "httpx", "psycopg", "pydantic", "prometheus-client"):
        assert dependency in pins, dependency
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "constraints.txt" in dockerfile
    assert re.search(r"pip wheel .*-c constraints\.txt", dockerfile)
    assert '-c "${PROJECT_DIR}/constraints.txt"' in (ROOT / "scripts/setup.sh").read_text()
def test_the_database_speaks_tls_and_grafana_verifies_it(
    services: dict[str, dict[str, Any]],
) -> None:
    db = services["timescaledb"]
    command = " ".join(db["command"])
    assert "-c ssl=on" in command
    assert "ssl_cert_file=/run/secrets/db_tls_cert" in command
    assert {"db_tls_cert", "db_tls_key"} <= set(_mounted(db))
    grafana = services["grafana"]
    assert _env(grafana)["QUEUEPULSE_GRAFANA_DB_CA_FILE"] == "/run/secrets/db_tls_cert"
    assert "db_tls_cert" in _mounted(grafana)
    datasource = yaml.safe_load(
        (ROOT / "grafana/provisioning/datasources/queuepulse.yaml").read_text())
    tls = datasource["datasources"][0]["jsonData"]
    assert tls["sslmode"] == "verify-full"
    assert tls["sslRootCertFile"] == "${QUEUEPULSE_GRAFANA_DB_CA_FILE}"
def _recovery_mount(service: dict[str, Any]) -> tuple[str, str]:
    """(volume, the --recovery-dir it is mounted at) of a live service."""
    command = service["command"]
    directory = command[command.index("--recovery-dir") + 1]
    volumes = [v.split(":") for v in service.get("volumes", [])]
    sources = [v[0] for v in volumes if v[1] == directory]
    assert len(sources) == 1, (command, volumes)
    return sources[0], directory


def test_live_keeps_its_recovery_directory_in_a_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    volume, directory = _recovery_mount(services["live"])
    assert volume in compose["volumes"]
    # The image makes the mount point the unprivileged user's, so a new volume is writable.
    text = (ROOT / "Dockerfile").read_text()
    assert f"mkdir -p {directory} && chown queuepulse {directory}" in text


def test_the_cluster_profile_runs_two_members_addressed_by_service_name(
    services: dict[str, dict[str, Any]],
) -> None:
    envs = [_env(services[name]) for name in CLUSTER]
    addresses = {env["QUEUEPULSE_CLUSTER__ADDRESSES"] for env in envs}
    assert len(addresses) == 1, "every member needs the same address list"
    listed = addresses.pop().split(",")
    assert [a.rsplit(":", 1)[0] for a in listed] == list(CLUSTER)  # member i = service i
    assert [env["QUEUEPULSE_CLUSTER__PROCESS_ID"] for env in envs] == ["0", "1"]
    volumes = set()
    for name, env in zip(CLUSTER, envs, strict=True):
        service = services[name]
        assert service["command"][:2] == ["run", "live"]
        assert env["QUEUEPULSE_PBX__URL"] == _env(services["live"])["QUEUEPULSE_PBX__URL"]
        assert service["restart"] == "unless-stopped"  # a lost member stops both: restart
        assert not service.get("ports"), "cluster traffic stays on the compose network"
        volumes.add(_recovery_mount(service)[0])
    assert len(volumes) == len(CLUSTER), "each member keeps its recovery share in its volume"
    assert "--scale live=0" in COMPOSE.read_text()  # documented: the single live stays off
