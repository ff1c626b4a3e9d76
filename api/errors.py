"""Error answers: 404 and 422 that name what is wrong, 503 when the store is away, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ridebuy.store.base import StoreError, StoreUnavailable

log = logging.getLogger(__name__)


class NotFound(Exception):
    def __init__(self, what: str, identifier: str) -> None:
        super().__init__(f"no {what} with id '{identifier}'")


class BadParameter(Exception):
    """A parameter that passed type checks but makes no sense; the answer names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"parameter '{parameter}': {message}")
        self.parameter = parameter
        self.message = message


def _unprocessable(problems: list[tuple[str, str]]) -> JSONResponse:
    first_name, first_message = problems[0]
    return JSONResponse(
        status_code=422,
        content={
            "detail": f"parameter '{first_name}': {first_message}",
            "errors": [{"parameter": name, "message": message} for name, message in problems],
        },
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        name = location[-1] if location and location[0] in ("query", "path", "header") else ".".join(location)
        problems.append((name or "request", str(error.get("msg", "is invalid"))))
    return _unprocessable(problems or [("request", "is invalid")])


async def _bad_parameter(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BadParameter)
    return _unprocessable([(exc.parameter, exc.message)])


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else f"no such path: {request.url.path}"
    return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)


async def _store_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("store call for %s failed: %s", request.url.path, exc)
    if isinstance(exc, StoreUnavailable):
        return JSONResponse(
            status_code=503,
            content={"detail": "the history store is unavailable right now; live figures still work, retry later"},
            headers={"Retry-After": "10"},
        )
    return JSONResponse(status_code=502, content={"detail": "the history store refused the query; it was logged"})


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(status_code=500, content={"detail": "internal error; it was logged"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BadParameter, _bad_parameter)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(Exception, _internal_error)
