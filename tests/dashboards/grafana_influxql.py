"""What Grafana does to an InfluxQL panel query before sending it, so that tests can run the very same text.

Follows Grafana's InfluxDB data source (InfluxQL mode): ``$timeFilter`` becomes ``time >= now() - 7d and
time <= now()`` for relative ranges (epoch milliseconds otherwise), ``$__interval`` is the range divided by the
panel's data points rounded to a "nice" interval and never below the data source's minimum, and a multi-value or
"All" variable inside a regex becomes ``(a|b|c)`` with each value regex-escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_DATA_POINTS = 1000
"""About a panel's width in pixels, which is what Grafana passes as maxDataPoints."""

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_RELATIVE = re.compile(r"^now-(\d+)([smhdw])$")
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]")

# Grafana's rangeutil.roundInterval: a raw interval (ms) up to the bound -> this nice interval (ms).
_NICE = (
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1_500, 1_000),
    (3_500, 2_000),
    (7_500, 5_000),
    (12_500, 10_000),
    (17_500, 15_000),
    (25_000, 20_000),
    (45_000, 30_000),
    (90_000, 60_000),
    (210_000, 120_000),
    (450_000, 300_000),
    (750_000, 600_000),
    (1_050_000, 900_000),
    (1_500_000, 1_200_000),
    (2_700_000, 1_800_000),
    (5_400_000, 3_600_000),
    (9_000_000, 7_200_000),
    (16_200_000, 10_800_000),
    (32_400_000, 21_600_000),
    (86_400_000, 43_200_000),
    (604_800_000, 86_400_000),
    (1_814_400_000, 604_800_000),
    (3_628_800_000, 2_592_000_000),
)


def duration_ms(text: str) -> int:
    """``15m`` -> 900000."""
    match = re.fullmatch(r"(\d+)(ms|[smhdw])", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def format_ms(ms: int) -> str:
    """900000 -> ``15m``: the largest unit that divides the value."""
    for unit in ("w", "d", "h", "m", "s"):
        if ms % _UNIT_MS[unit] == 0:
            return f"{ms // _UNIT_MS[unit]}{unit}"
    return f"{ms}ms"


def round_interval(raw_ms: float) -> int:
    if raw_ms <= 10:
        return 1
    for bound, nice in _NICE:
        if raw_ms <= bound:
            return nice
    return 31_536_000_000


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A dashboard (or panel) range as Grafana holds it raw: ``now-7d`` .. ``now``."""

    raw_from: str
    raw_to: str = "now"

    def influx(self, raw: str, now_ms: int) -> str:
        if raw == "now":
            return "now()"
        match = _RELATIVE.match(raw)
        if match:
            return f"now() - {match.group(1)}{match.group(2)}"
        raise ValueError(f"time range {raw!r} is not relative to now: give the test an absolute range instead")

    def span_ms(self) -> int:
        def ago(raw: str) -> int:
            if raw == "now":
                return 0
            match = _RELATIVE.match(raw)
            assert match, raw
            return int(match.group(1)) * _UNIT_MS[match.group(2)]

        return ago(self.raw_from) - ago(self.raw_to)

    def time_filter(self, now_ms: int = 0) -> str:
        return f"time >= {self.influx(self.raw_from, now_ms)} and time <= {self.influx(self.raw_to, now_ms)}"


def panel_range(dashboard: Mapping[str, Any], panel: Mapping[str, Any]) -> TimeRange:
    """The panel's own relative range (``timeFrom``) wins over the dashboard's, as in Grafana."""
    if panel.get("timeFrom"):
        return TimeRange(f"now-{panel['timeFrom']}")
    time = dashboard["time"]
    return TimeRange(time["from"], time["to"])


def interval_ms(time_range: TimeRange, min_interval: str, max_data_points: int = DEFAULT_MAX_DATA_POINTS) -> int:
    return max(round_interval(time_range.span_ms() / max_data_points), duration_ms(min_interval))


def escape_regex(value: str) -> str:
    """Grafana's escapeRegex: the characters special to a JavaScript (and Go RE2) regex, and ``/``."""
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", lambda m: "\\" + m.group(0), value)


def format_values(values: Sequence[str], multi: bool) -> str:
    """A variable's values as Grafana's InfluxDB data source writes them into a query."""
    if not multi:
        return values[0]
    escaped = [escape_regex(value) for value in values]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def variables_used(text: str) -> set[str]:
    return {next(group for group in match.groups() if group) for match in _VARIABLE.finditer(text)}


def interpolate(
    query: str,
    *,
    time_range: TimeRange,
    interval: int,
    variables: Mapping[str, str],
) -> str:
    """Replace macros and template variables; an unknown variable raises KeyError naming it."""
    text = query.replace("$__timeFilter", "$timeFilter").replace("$timeFilter", time_range.time_filter())
    builtins = {"__interval": format_ms(interval), "interval": format_ms(interval), "__interval_ms": str(interval)}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        if name in builtins:
            return builtins[name]
        if name not in variables:
            raise KeyError(f"variable ${name} is not defined by the dashboard")
        return variables[name]

    return _VARIABLE.sub(replace, text)


def variable_values(
    variable: Mapping[str, Any], run_query: Callable[[str], list[str]], every_option: bool = True
) -> list[tuple[str, str]]:
    """Every value a variable can take in a test, formatted: [(label, formatted value)].

    Query variables take their current selection ("All" -> every value the query returns, as Grafana does without
    a custom all value); custom and interval variables take each of their options in turn; textbox and constant
    variables their value.
    """
    kind = variable["type"]
    multi = bool(variable.get("multi") or variable.get("includeAll"))
    if kind == "query":
        values = run_query(variable["query"])
        if not values:
            raise AssertionError(f"variable {variable['name']}: its query {variable['query']!r} returned nothing")
        current = variable["current"]["value"]
        chosen = values if current in ("$__all", ["$__all"]) else [current] if isinstance(current, str) else current
        return [("current", format_values(chosen, multi))]
    if kind in ("custom", "interval"):
        if not every_option:
            return [("current", variable["current"]["value"])]
        return [(option["value"], option["value"]) for option in variable["options"]]
    if kind in ("textbox", "constant"):
        return [("value", str(variable["query"]))]
    raise AssertionError(f"variable {variable['name']}: type {kind} is not handled by the test")


def render_target(
    dashboard: Mapping[str, Any],
    panel: Mapping[str, Any],
    target: Mapping[str, Any],
    run_query: Callable[[str], list[str]],
    min_interval: str,
    every_option: bool = True,
) -> list[tuple[str, str]]:
    """The InfluxQL Grafana would send for a panel target: one per combination of the options of the custom and
    interval variables it uses (so that each option is proven), as [(label, query)]."""
    query = target["query"]
    definitions = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    used = sorted(variables_used(query) - {"timeFilter", "__timeFilter", "__interval", "interval", "__interval_ms"})
    combinations: list[tuple[str, dict[str, str]]] = [("", {})]
    for name in used:
        if name not in definitions:
            raise KeyError(f"variable ${name} is not defined by the dashboard")
        choices = variable_values(definitions[name], run_query, every_option)
        combinations = [
            (f"{label} {name}={choice}" if len(choices) > 1 else label, {**values, name: formatted})
            for label, values in combinations
            for choice, formatted in choices
        ]
    time_range = panel_range(dashboard, panel)
    interval = interval_ms(time_range, panel.get("interval") or min_interval, panel.get("maxDataPoints") or 1000)
    return [
        (label.strip(), interpolate(query, time_range=time_range, interval=interval, variables=values))
        for label, values in combinations
    ]
