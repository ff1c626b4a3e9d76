"""The admin token: ``Authorization: Bearer <RIDEBUY_API_TOKEN>`` on every ``/v1/admin`` request.

No token configured: the admin endpoints are off (503 saying so). No token sent: 401. A wrong one: 403. The
comparison takes the same time wherever the first differing byte is (:func:`hmac.compare_digest`), and neither the
token sent nor the configured one is ever logged.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ridebuy.api.context import ApiContext
from ridebuy.api.deps import get_context

log = logging.getLogger(__name__)

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="admin token",
    description="the value of RIDEBUY_API_TOKEN, sent as `Authorization: Bearer <token>`",
)


def token_matches(sent: str, configured: str) -> bool:
    """Constant-time comparison of two tokens (as UTF-8 bytes, so any character is allowed)."""
    return hmac.compare_digest(sent.encode("utf-8"), configured.encode("utf-8"))


def require_admin(
    request: Request,
    context: Annotated[ApiContext, Depends(get_context)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with the configured admin token."""
    configured = context.settings.api_token
    client = request.client.host if request.client else "?"
    if configured is None or not configured.get_secret_value():
        context.metrics.admin_refused.labels("admin_off").inc()
        raise HTTPException(
            status_code=503,
            detail="admin endpoints are off: no admin token is configured (set RIDEBUY_API_TOKEN to turn them on)",
        )
    if credentials is None:
        context.metrics.admin_refused.labels("missing_token").inc()
        log.info("admin request without a token from %s: %s %s", client, request.method, request.url.path)
        raise HTTPException(
            status_code=401,
            detail="admin endpoints need the admin token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not token_matches(credentials.credentials, configured.get_secret_value()):
        context.metrics.admin_refused.labels("wrong_token").inc()
        log.warning("admin request with a wrong token from %s: %s %s", client, request.method, request.url.path)
        raise HTTPException(status_code=403, detail="the admin token is wrong")


AdminDep = Depends(require_admin)
