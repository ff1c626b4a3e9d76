"""The API's settings as uvicorn's configuration, for ``ridebuy api`` and ``ridebuy demo`` alike.

Both serve the same app, so the settings that shape the server (its own TLS, the header timeout, the connection
caps, the trusted proxies for ``X-Forwarded-For``) must mean the same in both: this module is the one place that
turns them into a :class:`uvicorn.Config`.
"""

from __future__ import annotations

import ssl
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

from ridebuy.api.connection_guard import ConnectionLimits, connection_cap, guarded_protocol
from ridebuy.api.settings import ApiSettings


def trusted_proxies(settings: ApiSettings) -> list[str]:
    return [a.strip() for a in settings.api_trusted_proxies.split(",") if a.strip()]


def connection_limits(settings: ApiSettings) -> ConnectionLimits:
    """The header timeout and connection caps (the cap lowered to what the open-file limit allows)."""
    return ConnectionLimits(
        header_timeout_s=settings.api_header_timeout_s,
        max_connections=connection_cap(settings.api_max_connections),
        max_per_client=settings.api_max_connections_per_client,
        exempt=tuple(trusted_proxies(settings)),
    )


def tls_problem(settings: ApiSettings) -> str | None:
    """A sentence when the API's certificate and key cannot serve HTTPS (uvicorn would die with a traceback)."""
    if settings.api_ssl_certfile is None or settings.api_ssl_keyfile is None:
        return None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            settings.api_ssl_certfile, settings.api_ssl_keyfile
        )
    except (OSError, ssl.SSLError) as exc:
        return (
            f"RIDEBUY_API_SSL_CERTFILE/RIDEBUY_API_SSL_KEYFILE ({settings.api_ssl_certfile}, "
            f"{settings.api_ssl_keyfile}): not a usable certificate and key ({exc})"
        )
    return None


def scheme(settings: ApiSettings) -> str:
    return "https" if settings.api_ssl_certfile else "http"


def server_config(
    app: ASGIApp,
    settings: ApiSettings,
    *,
    log_level: str,
    access_log: bool = False,
    timeout_graceful_shutdown: int = 3,
    lifespan: Literal["auto", "on"] = "auto",
) -> uvicorn.Config:
    """uvicorn's configuration of the API under ``settings`` (check :func:`tls_problem` first).

    ``host`` and ``port`` are the settings'; a caller that binds its own socket passes it to ``Server.run``, which
    then listens on it with the same TLS and protocol.
    """
    return uvicorn.Config(
        app,
        http=guarded_protocol(connection_limits(settings)),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        log_level=log_level,
        access_log=access_log,
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies(settings),
        timeout_graceful_shutdown=timeout_graceful_shutdown,
        ssl_certfile=settings.api_ssl_certfile,
        ssl_keyfile=settings.api_ssl_keyfile,
        lifespan=lifespan,
    )
