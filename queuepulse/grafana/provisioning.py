"""Grafana file-provisioning documents: datasource, dashboard provider, alerting.

Grafana reads these at start-up from its ``provisioning/`` directory (``datasources/``,
``dashboards/``, ``alerting/``); every document is ``apiVersion: 1``. The datasource's
password is ``$__file{/run/secrets/grafana_db_password}``, which Grafana reads from that file
at start-up, so the password never sits in a provisioning file or in the environment.

The datasource talks TLS to the database and checks its certificate and host name by default
(``sslmode: verify-full``); the CA that signed the server's certificate comes from the file named
by ``QUEUEPULSE_GRAFANA_DB_CA_FILE`` (empty: the system's trusted CAs). ``queuepulse grafana build
--db-sslmode`` writes another mode for a site that needs one.
"""

from __future__ import annotations

from typing import Any, Final

from queuepulse.grafana.ids import (
    CONTACT_POINT_NAME,
    CONTACT_POINT_UID,
    DATASOURCE_NAME,
    DATASOURCE_TYPE,
    DATASOURCE_UID,
    FOLDER_TITLE,
    FOLDER_UID,
)

READER_ROLE: Final = "grafana"
"""The login Grafana uses: a member of the read-only group role ``queuepulse_reader``."""

PASSWORD_FILE: Final = "/run/secrets/grafana_db_password"  # noqa: S105 - a path
"""Where Grafana reads the datasource password (``$__file{}``): the Docker secret of compose;
elsewhere put the password of the ``grafana`` log-in in a file there (readable by Grafana)."""
DB_HOST_DEFAULT: Final = "timescaledb:5432"
DB_NAME_DEFAULT: Final = "queuepulse"
DASHBOARDS_PATH: Final = "/var/lib/grafana/dashboards/queuepulse"
"""Where the container mounts ``grafana/dashboards`` (see docker-compose.yml)."""

ALERT_EMAIL_PLACEHOLDER: Final = "oncall@example.com"

SSLMODES: Final = ("verify-full", "verify-ca", "require", "disable")
"""libpq ``sslmode`` values Grafana's PostgreSQL datasource takes, most secure first."""
DB_SSLMODE_DEFAULT: Final = "verify-full"
"""Encrypted, and the server's certificate and host name checked: a network attacker can neither
read the dashboards' queries and results nor pose as the database."""
CA_FILE_ENV: Final = "QUEUEPULSE_GRAFANA_DB_CA_FILE"
"""Environment variable (of Grafana) naming the CA certificate file of the database's TLS."""


def tls_settings(sslmode: str = DB_SSLMODE_DEFAULT, ca_file: str | None = None) -> dict[str, str]:
    """The datasource's ``jsonData`` TLS fields for ``sslmode`` (``ca_file``: a path on the
    Grafana host; ``None`` for file provisioning: ``${QUEUEPULSE_GRAFANA_DB_CA_FILE}``)."""
    if sslmode not in SSLMODES:
        raise ValueError(f"sslmode must be one of {', '.join(SSLMODES)}, not {sslmode!r}")
    settings = {"sslmode": sslmode}
    if sslmode != "disable":
        settings["tlsConfigurationMethod"] = "file-path"
        settings["sslRootCertFile"] = "${" + CA_FILE_ENV + "}" if ca_file is None else ca_file
    return settings


def datasource_document(sslmode: str = DB_SSLMODE_DEFAULT) -> dict[str, Any]:
    """``provisioning/datasources/queuepulse.yaml`` (TLS: :func:`tls_settings`)."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": DATASOURCE_NAME,
                "type": DATASOURCE_TYPE,
                "uid": DATASOURCE_UID,
                "access": "proxy",
                "url": DB_HOST_DEFAULT,
                "user": READER_ROLE,
                "isDefault": False,
                "editable": False,
                "jsonData": {
                    "database": DB_NAME_DEFAULT,
                    **tls_settings(sslmode),
                    "postgresVersion": 1500,
                    "timescaledb": True,
                    "maxOpenConns": 10,
                    "maxIdleConns": 10,
                    "connMaxLifetime": 14400,
                    "timeInterval": "1s",
                },
                "secureJsonData": {"password": "$__file{" + PASSWORD_FILE + "}"},
            }
        ],
    }


def dashboard_provider_document() -> dict[str, Any]:
    """``provisioning/dashboards/queuepulse.yaml``: a file provider for the JSON folder."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "queuepulse",
                "orgId": 1,
                "folder": FOLDER_TITLE,
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }


def contact_point() -> dict[str, Any]:
    """The on-call contact point (email; edit the address or swap the receiver type)."""
    return {
        "orgId": 1,
        "name": CONTACT_POINT_NAME,
        "receivers": [
            {
                "uid": CONTACT_POINT_UID,
                "type": "email",
                "disableResolveMessage": False,
                "settings": {
                    "addresses": ALERT_EMAIL_PLACEHOLDER,
                    "singleEmail": True,
                },
            }
        ],
    }


def contact_points_document() -> dict[str, Any]:
    """``provisioning/alerting/contact-points.yaml``."""
    return {"apiVersion": 1, "contactPoints": [contact_point()]}


def notification_policy() -> dict[str, Any]:
    """The notification policy tree: everything to the on-call contact point, critical faster."""
    return {
        "receiver": CONTACT_POINT_NAME,
        "group_by": ["grafana_folder", "alertname", "pbx_id"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [
            {
                "receiver": CONTACT_POINT_NAME,
                "object_matchers": [["app", "=", "queuepulse"], ["severity", "=", "critical"]],
                "group_wait": "10s",
                "repeat_interval": "1h",
            }
        ],
    }


def policies_document() -> dict[str, Any]:
    """``provisioning/alerting/policies.yaml`` (replaces the organisation's policy tree)."""
    return {"apiVersion": 1, "policies": [{"orgId": 1, **notification_policy()}]}
