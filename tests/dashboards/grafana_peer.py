"""A small HTTP server on loopback that answers the few Grafana API calls ``ridebuy dashboards push`` makes and
records every request, so that a test can check the calls and their idempotence without a real Grafana.

It keeps data sources, folders and dashboards by uid and answers like Grafana's HTTP API does (404 for a missing
uid, 409 for a second data source or folder with the same uid, 412 when a dashboard uid exists and the save does
not overwrite, 401 on a wrong bearer token). It is a peer for the client, not a model of Grafana.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass(slots=True)
class GrafanaPeer:
    token: str
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                request = Request(self.command, self.path, self.headers.get("Authorization"), body)
                peer.requests.append(request)
                status, answer = peer.answer(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's naming

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def answer(self, request: Request) -> tuple[int, Any]:
        if request.authorization != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}
        method, path, body = request.method, request.path, request.body
        if match := re.fullmatch(r"/api/datasources/uid/([\w-]+)", path):
            uid = match.group(1)
            if uid not in self.datasources:
                return 404, {"message": "Data source not found"}
            if method == "GET":
                return 200, self.datasources[uid]
            if method == "PUT":
                self.datasources[uid] = {**body, "id": self.datasources[uid]["id"]}
                return 200, {"message": "Datasource updated", "datasource": self.datasources[uid]}
        if path == "/api/datasources" and method == "POST":
            if body["uid"] in self.datasources:
                return 409, {"message": "data source with the same uid already exists"}
            self.datasources[body["uid"]] = {**body, "id": len(self.datasources) + 1}
            return 200, {"message": "Datasource added", "datasource": self.datasources[body["uid"]]}
        if (match := re.fullmatch(r"/api/folders/([\w-]+)", path)) and method == "GET":
            folder = self.folders.get(match.group(1))
            return (200, folder) if folder else (404, {"message": "folder not found"})
        if path == "/api/folders" and method == "POST":
            if body["uid"] in self.folders:
                return 409, {"message": "a folder with the same uid already exists"}
            self.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"]}
            return 200, self.folders[body["uid"]]
        if path == "/api/dashboards/db" and method == "POST":
            dashboard = body["dashboard"]
            if body.get("folderUid") not in self.folders:
                return 400, {"message": "folder not found"}
            old = self.dashboards.get(dashboard["uid"])
            if old is not None and not body.get("overwrite"):
                return 412, {"status": "name-exists", "message": "A dashboard with the same uid already exists"}
            version = (old["version"] + 1) if old else 1
            self.dashboards[dashboard["uid"]] = {**dashboard, "version": version, "folderUid": body["folderUid"]}
            return 200, {"status": "success", "uid": dashboard["uid"], "version": version}
        return 404, {"message": "Not found"}
