"""InfluxQL building blocks: safe quoting of identifiers and string literals, and reading ``/query`` answers.

InfluxQL strings understand four escapes (``\\\\``, ``\\'``, ``\\"``, ``\\n``) and end at a raw newline, so
quoting escapes exactly those; any id or value can then be put in a query without changing its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def quote_ident(name: str) -> str:
    """A double-quoted identifier (measurement, tag or field key, database, retention policy)."""
    return '"' + _escape(name).replace('"', '\\"') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted string literal (tag values in WHERE clauses)."""
    return "'" + _escape(value).replace("'", "\\'") + "'"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def time_range(start_ns: int, end_ns: int) -> str:
    """The ``[start, end)`` condition on time; integer literals are nanoseconds since the epoch."""
    return f"time >= {int(start_ns)} AND time < {int(end_ns)}"


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a query result: its tags and its rows as dicts keyed by column."""

    name: str
    tags: dict[str, str]
    rows: list[dict[str, Any]]


class QueryError(Exception):
    """The server answered the query with an error (for InfluxQL the message is the server's)."""


def parse_results(body: Any) -> list[list[Series]]:
    """The series of each statement of a ``/query`` answer (``epoch=ns``); QueryError on an error result."""
    if not isinstance(body, dict):
        raise QueryError("the /query answer is not a JSON object")
    if "error" in body:
        raise QueryError(str(body["error"]))
    statements = []
    for result in body.get("results") or []:
        if "error" in result:
            raise QueryError(str(result["error"]))
        series_list = []
        for series in result.get("series") or []:
            columns = series.get("columns") or []
            rows = [dict(zip(columns, values, strict=False)) for values in series.get("values") or []]
            series_list.append(Series(str(series.get("name", "")), dict(series.get("tags") or {}), rows))
        statements.append(series_list)
    return statements
