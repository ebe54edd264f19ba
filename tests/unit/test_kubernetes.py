"""deploy/kubernetes/live-statefulset.yaml keeps the shape a Bytewax cluster needs.

No Kubernetes API runs here: the manifests are parsed with PyYAML and checked for what the
live flow requires of them (stable member ids, addresses by the headless Service, a recovery
volume per member, probes on /healthz, all members started together)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "kubernetes" / "live-statefulset.yaml"


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(MANIFEST.read_text()) if d}


def _container(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = docs["StatefulSet"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_the_manifest_holds_the_pieces(docs: dict[str, dict[str, Any]]) -> None:
    assert set(docs) == {"ConfigMap", "Service", "StatefulSet"}


def test_member_ids_come_from_the_pod_ordinal(docs: dict[str, dict[str, Any]]) -> None:
    env = _env(_container(docs))
    assert env["QUEUEPULSE_CLUSTER__PROCESS_ID"] == {
        "fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}}


def test_addresses_name_every_member_through_the_headless_service(
    docs: dict[str, dict[str, Any]],
) -> None:
    sts, svc = docs["StatefulSet"], docs["Service"]
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["publishNotReadyAddresses"] is True
    assert sts["spec"]["serviceName"] == svc["metadata"]["name"]
    assert svc["spec"]["selector"] == sts["spec"]["selector"]["matchLabels"]
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    container = _container(docs)
    cluster_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "cluster")
    assert any(p["port"] == cluster_port for p in svc["spec"]["ports"])
    name, service = sts["metadata"]["name"], svc["metadata"]["name"]
    addresses = _env(container)["QUEUEPULSE_CLUSTER__ADDRESSES"].split(",")
    assert addresses == [f"{name}-{i}.{service}:{cluster_port}"
                         for i in range(sts["spec"]["replicas"])]


def test_each_member_has_its_own_recovery_volume(docs: dict[str, dict[str, Any]]) -> None:
    sts = docs["StatefulSet"]
    container = _container(docs)
    args = container["args"]
    assert args[:2] == ["run", "live"]
    directory = args[args.index("--recovery-dir") + 1]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]}
    assert mounts[directory] in claims
    assert sts["spec"]["template"]["spec"]["securityContext"]["fsGroup"] == 10001


def test_every_member_reads_the_same_pbx_list(docs: dict[str, dict[str, Any]]) -> None:
    container = _container(docs)
    args = container["args"]
    pbx_file = Path(args[args.index("--pbx-file") + 1])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = next(v for v in docs["StatefulSet"]["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == mounts[str(pbx_file.parent)])
    config_map = docs["ConfigMap"]
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    pbxs = yaml.safe_load(config_map["data"][pbx_file.name])
    assert [p["pbx_id"] for p in pbxs] == ["site-a", "site-b"]
    assert all("client_secret" not in p for p in pbxs)


def test_probes_ask_healthz_on_the_metrics_port(docs: dict[str, dict[str, Any]]) -> None:
    container = _container(docs)
    metrics = next(p for p in container["ports"] if p["name"] == "metrics")
    assert metrics["containerPort"] == 9464  # the settings' default metrics port
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz"
        assert get["port"] in ("metrics", 9464)
    assert _env(container)["QUEUEPULSE_OBSERVABILITY__METRICS_HOST"] == "0.0.0.0"


def test_secrets_are_mounted_not_inlined(docs: dict[str, dict[str, Any]]) -> None:
    container = _container(docs)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = next(v for v in docs["StatefulSet"]["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == mounts["/run/secrets"])
    assert "secret" in volume
    for name in _env(container):
        assert "SECRET" not in name
        assert "DSN" not in name
