"""What shape an InfluxQL statement's result must have, read from the statement itself.

Only the outermost statement counts (subqueries are skipped by tracking parentheses): its select list gives the
column names, its GROUP BY the tags each series carries and whether rows are time buckets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _top_level(text: str) -> str:
    """The text with everything inside parentheses blanked out (same length)."""
    depth = 0
    out = []
    for char in text:
        if char == "(":
            depth += 1
            out.append(" ")
        elif char == ")":
            depth -= 1
            out.append(" ")
        else:
            out.append(" " if depth else char)
    return "".join(out)


def _split_top(text: str, sep: str = ",") -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == sep and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


@dataclass(frozen=True, slots=True)
class Shape:
    columns: tuple[str, ...]
    """Expected columns, ``time`` first."""
    group_tags: tuple[str, ...]
    time_buckets: bool
    """GROUP BY time(...): rows in time order, several per series unless empty buckets are left out."""
    fill_none: bool


def expected_shape(query: str) -> Shape:
    top = _top_level(query)
    upper = top.upper()
    select_at = upper.index("SELECT") + len("SELECT")
    from_at = upper.index(" FROM ", select_at)
    select_list = query[select_at:from_at]
    columns = ["time"]
    for item in _split_top(select_list):
        alias = re.search(r'\bAS\s+"([^"]+)"\s*$', item, re.IGNORECASE)
        if alias:
            columns.append(alias.group(1))
        elif re.fullmatch(r'"[^"]+"', item):
            columns.append(item.strip('"'))
        else:
            function = re.match(r"(\w+)\(", item)
            columns.append(function.group(1).lower() if function else item)
    group_tags: list[str] = []
    time_buckets = False
    group_at = upper.rfind(" GROUP BY ")
    if group_at >= 0:
        clause = query[group_at + len(" GROUP BY ") :]
        clause = re.split(r"\s+(?:fill|ORDER|LIMIT|tz|SLIMIT)\b", clause, maxsplit=1, flags=re.IGNORECASE)[0]
        for item in _split_top(clause):
            if item.lower().startswith("time("):
                time_buckets = True
            else:
                group_tags.append(item.strip('"'))
    fill_none = re.search(r"\bfill\(none\)", top, re.IGNORECASE) is not None
    return Shape(tuple(columns), tuple(group_tags), time_buckets, fill_none)
