"""Upload the data source and the dashboards to a running Grafana through its HTTP API (grafana-client).

Idempotent: the data source is found by its uid and updated (created when missing), the folder likewise, and each
dashboard is saved with ``overwrite`` under its own uid, so running it twice leaves one copy of everything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from grafana_client.client import GrafanaClientError

from ridebuy.dashboards.catalogue import FOLDER_TITLE, FOLDER_UID, Dashboard

logger = logging.getLogger(__name__)

NOT_FOUND = 404


class GrafanaApi(Protocol):
    """The parts of :class:`grafana_client.api.GrafanaApi` used here (its element classes are untyped)."""

    datasource: Any
    folder: Any
    dashboard: Any


@dataclass(slots=True)
class PushReport:
    datasource: str = ""
    """"created" or "updated"."""
    folder: str = ""
    """"created" or "kept"."""
    dashboards: list[tuple[str, int | None]] = field(default_factory=list)
    """(uid, version Grafana answered) for each dashboard saved."""


def _missing(exc: GrafanaClientError) -> bool:
    return bool(exc.status_code == NOT_FOUND)


def upsert_datasource(api: GrafanaApi, model: dict[str, Any]) -> str:
    uid = model["uid"]
    try:
        api.datasource.get_datasource_by_uid(uid)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.datasource.create_datasource(model)
        logger.info("data source %s created", uid)
        return "created"
    api.datasource.update_datasource_by_uid(uid, model)
    logger.info("data source %s updated", uid)
    return "updated"


def ensure_folder(api: GrafanaApi, uid: str = FOLDER_UID, title: str = FOLDER_TITLE) -> str:
    try:
        api.folder.get_folder(uid)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.folder.create_folder(title, uid=uid)
        logger.info("folder %s created", uid)
        return "created"
    return "kept"


def save_dashboard(api: GrafanaApi, dashboard: Dashboard, folder_uid: str) -> int | None:
    """Save one dashboard under its uid, replacing whatever Grafana holds under that uid."""
    # "id" is Grafana's per-instance number: a shipped model must not carry one, the uid identifies it.
    model = {key: value for key, value in dashboard.items() if key != "id"}
    answer = api.dashboard.update_dashboard(
        {"dashboard": model, "folderUid": folder_uid, "overwrite": True, "message": "ridebuy dashboards push"}
    )
    version = answer.get("version") if isinstance(answer, dict) else None
    logger.info("dashboard %s saved (version %s)", model["uid"], version)
    return version if isinstance(version, int) else None


def push(
    api: GrafanaApi,
    datasource: dict[str, Any],
    dashboards: Sequence[Dashboard],
    folder_uid: str = FOLDER_UID,
    folder_title: str = FOLDER_TITLE,
) -> PushReport:
    """Upsert the data source, the folder and every dashboard."""
    report = PushReport()
    report.datasource = upsert_datasource(api, datasource)
    report.folder = ensure_folder(api, folder_uid, folder_title)
    for dashboard in dashboards:
        report.dashboards.append((dashboard["uid"], save_dashboard(api, dashboard, folder_uid)))
    return report
