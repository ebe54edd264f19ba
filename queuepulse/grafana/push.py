"""Install the datasource, folder, dashboards and alert rules into a running Grafana.

Everything goes through ``grafana-client`` and is idempotent: objects are addressed by their
stable uids, created when missing and updated in place otherwise, so pushing twice changes
nothing the second time. The contact point is only created when missing (users edit it in
Grafana afterwards), and the notification policy tree — which replaces the organisation's whole
tree — is only set when asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from queuepulse.errors import QueuepulseError
from queuepulse.grafana.alerts import GROUP_INTERVALS, api_rule, group_seconds, rules_file
from queuepulse.grafana.ids import CONTACT_POINT_UID, DATASOURCE_UID, FOLDER_TITLE, FOLDER_UID
from queuepulse.grafana.provisioning import (
    DB_SSLMODE_DEFAULT,
    contact_point,
    datasource_document,
    notification_policy,
    tls_settings,
)
from queuepulse.grafana.render import dashboard_documents, panel_ids

log = logging.getLogger(__name__)


class PushError(QueuepulseError):
    """Grafana refused or could not be reached while pushing."""


@dataclass(frozen=True)
class PushOptions:
    """Where the datasource points and what to install."""

    db_url: str | None = None
    db_name: str | None = None
    db_user: str | None = None
    db_password: str | None = field(default=None, repr=False)
    db_sslmode: str = DB_SSLMODE_DEFAULT
    db_ca_file: str = ""
    """CA certificate file on the Grafana host ('' = the system's trusted CAs)."""
    set_policy: bool = False


@dataclass
class PushReport:
    """What a push created or updated, by kind."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per object."""
        return (
            [f"created {x}" for x in self.created]
            + [f"updated {x}" for x in self.updated]
            + [f"kept {x}" for x in self.kept]
        )


def connect(url: str, token: str | None, timeout_s: float = 10.0) -> GrafanaApi:
    """A grafana-client API object (service-account token, or anonymous when None)."""
    api: GrafanaApi = GrafanaApi.from_url(url, credential=token, timeout=timeout_s)
    return api


class UnexpectedReply(Exception):
    """A 2xx reply that is not the JSON Grafana's API answers (a proxy or login page...)."""


def _expect(reply: Any, kind: type | tuple[type, ...]) -> Any:
    """``reply`` if it is the JSON shape Grafana's API answers with, else UnexpectedReply."""
    if not isinstance(reply, kind):
        raise UnexpectedReply(_one_line(reply))
    return reply


def _one_line(value: Any, limit: int = 120) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _exists(getter: Callable[[], Any]) -> bool:
    try:
        _expect(getter(), dict)
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return False
        raise
    return True


def _datasource_body(options: PushOptions) -> dict[str, Any]:
    body: dict[str, Any] = dict(datasource_document()["datasources"][0])
    body.pop("editable", None)
    body.pop("secureJsonData", None)
    if options.db_url:
        body["url"] = options.db_url
    if options.db_user:
        body["user"] = options.db_user
    json_data = {k: v for k, v in body["jsonData"].items()
                 if k not in ("sslmode", "tlsConfigurationMethod", "sslRootCertFile")}
    body["jsonData"] = {**json_data, **tls_settings(options.db_sslmode, options.db_ca_file)}
    if options.db_name:
        body["jsonData"] = {**body["jsonData"], "database": options.db_name}
    if options.db_password is not None:
        body["secureJsonData"] = {"password": options.db_password}
    return body


def push(grafana: GrafanaApi, options: PushOptions | None = None) -> PushReport:
    """Install or update everything; raise :class:`PushError` with the failing step."""
    options = PushOptions() if options is None else options
    api: Any = grafana  # grafana-client is untyped
    report = PushReport()
    step = "datasource"
    try:
        body = _datasource_body(options)
        if _exists(lambda: api.datasource.get_datasource_by_uid(DATASOURCE_UID)):
            _expect(api.datasource.update_datasource_by_uid(DATASOURCE_UID, body), dict)
            report.updated.append(f"datasource {DATASOURCE_UID}")
        else:
            _expect(api.datasource.create_datasource(body), dict)
            report.created.append(f"datasource {DATASOURCE_UID}")

        step = "folder"
        if _exists(lambda: api.folder.get_folder(FOLDER_UID)):
            report.kept.append(f"folder {FOLDER_UID}")
        else:
            _expect(api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID), dict)
            report.created.append(f"folder {FOLDER_UID}")

        documents = dashboard_documents()
        for document in documents.values():
            step = f"dashboard {document['uid']}"
            reply = api.dashboard.update_dashboard(
                {
                    "dashboard": {**document, "id": None},
                    "folderUid": FOLDER_UID,
                    "overwrite": True,
                    "message": "queuepulse grafana push",
                }
            )
            _expect(reply, dict)
            report.updated.append(f"dashboard {document['uid']}")

        rules = rules_file(DATASOURCE_UID, panel_ids(documents))
        for group in rules["groups"]:
            step = f"alert rule group {group['name']}"
            reply = api.alertingprovisioning.update_rule_group(
                FOLDER_UID,
                group["name"],
                {
                    "title": group["name"],
                    "folderUid": FOLDER_UID,
                    "interval": group_seconds(GROUP_INTERVALS[group["name"]]),
                    "rules": [api_rule(r, group["name"]) for r in group["rules"]],
                },
            )
            _expect(reply, dict)
            report.updated.append(f"alert rule group {group['name']}")

        step = "contact point"
        points = _expect(api.alertingprovisioning.get_contactpoints() or [], list)
        if any(isinstance(p, dict) and p.get("uid") == CONTACT_POINT_UID for p in points):
            report.kept.append(f"contact point {CONTACT_POINT_UID}")
        else:
            receiver = contact_point()["receivers"][0]
            _expect(api.alertingprovisioning.create_contactpoint(
                {"name": contact_point()["name"], **receiver}, disable_provenance=True
            ), dict)
            report.created.append(f"contact point {CONTACT_POINT_UID}")

        if options.set_policy:
            step = "notification policy"
            _expect(api.alertingprovisioning.set_notification_policy_tree(
                notification_policy(), disable_provenance=True
            ), (dict, type(None)))
            report.updated.append("notification policy tree")
    except GrafanaException as exc:
        raise PushError(
            f"grafana push failed at {step}: HTTP {exc.status_code}: {_one_line(exc.message)}. "
            "Check --url, that the token belongs to an Admin/Editor service account, and "
            "the Grafana log."
        ) from None
    except (UnexpectedReply, ValueError) as exc:  # ValueError: a body that is not JSON
        raise PushError(
            f"grafana push failed at {step}: the server did not answer like Grafana's HTTP API "
            f"({_one_line(exc) or type(exc).__name__}). Check that --url is Grafana's root URL "
            "(e.g. https://grafana.example.com, not a proxy or login page)."
        ) from None
    except OSError as exc:
        raise PushError(
            f"grafana push failed at {step}: cannot reach Grafana ({exc}). Check --url "
            "(the Grafana root URL, e.g. http://127.0.0.1:3000) and that Grafana is running."
        ) from None
    for line in report.lines():
        log.info("grafana push: %s", line)
    return report
