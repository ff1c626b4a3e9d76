"""InfluxDB line protocol: :class:`~ridebuy.store.points.Point` in, the bytes of a ``/write`` body out.

Escaping follows the line protocol reference, narrowed to what every generation parses the same way (checked
against Debian's InfluxDB 1.6.7; 2.x shares its Go parser):

- measurement: ``,`` and space are escaped; a leading ``#`` would turn the line into a comment, so it is refused.
- tag keys, tag values, field keys: ``,``, ``=`` and space are escaped.
- names (all of the above) may not hold a backslash or a control character. 1.x cannot write a tag value that ends
  in a backslash at all (``a\\`` escapes the separator that follows; ``a\\\\`` is a parse error), keeps ``\\\\`` as
  two backslashes where 3.x reads one, and nothing escapes a line break. Such a name is refused with
  :class:`LineProtocolError` instead of being altered: ridebuy's names are registry ids and enum values, which
  never contain them.
- string field values: ``\\`` and ``"`` are escaped; newlines and other characters are written as they are, inside
  the quotes, and come back unchanged (a quoted newline does not end the line).
- integers get the ``i`` suffix and must fit in 64 bits; floats must be finite; booleans are ``true``/``false``.
- empty tag values are left out (line protocol refuses them); tags are sorted by key.

Encoding is the ingest hot path: the series part of a line (measurement and tags) is escaped once per distinct
series and cached, field keys likewise, so a point costs a dictionary look-up plus the formatting of its values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from ridebuy.store.points import FieldValue, Point

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1
# InfluxDB refuses the two extreme int64 values as timestamps (they mark "no time" internally).
TIME_MIN_NS = -(2**63) + 2
TIME_MAX_NS = 2**63 - 2

_FORBIDDEN_IN_NAMES = re.compile(r"[\\\x00-\x1f\x7f]")
_MEASUREMENT_SPECIAL = re.compile(r"[, ]")
_KEY_SPECIAL = re.compile(r"[,= ]")

DEFAULT_MAX_CACHED_SERIES = 250_000


class LineProtocolError(ValueError):
    """A point that cannot be written as line protocol exactly as it is; the message says which part and why."""


def escape_measurement(name: str) -> str:
    """The measurement name as it appears at the start of a line."""
    _check_name(name, "measurement")
    if name.startswith("#"):
        raise LineProtocolError(f"measurement {name!r} starts with '#', which would make the line a comment")
    return _MEASUREMENT_SPECIAL.sub(r"\\\g<0>", name)


def escape_key(name: str, what: str = "tag key") -> str:
    """A tag key, tag value or field key, escaped."""
    _check_name(name, what)
    return _KEY_SPECIAL.sub(r"\\\g<0>", name)


def quote_string(value: str) -> str:
    """A string field value, quoted; line breaks stay literal inside the quotes."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if '"' in value:
        value = value.replace('"', '\\"')
    return f'"{value}"'


def format_field_value(key: str, value: FieldValue) -> str:
    """A field value in line protocol syntax. ``key`` only names the field in errors."""
    kind = type(value)
    if kind is int:
        if not _INT_MIN <= value <= _INT_MAX:  # type: ignore[operator]
            raise LineProtocolError(f"field {key!r}: integer {value} does not fit in 64 bits")
        return f"{value}i"
    if kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise LineProtocolError(f"field {key!r}: {value} is not a finite number")
        return repr(value)
    if kind is str:
        return quote_string(value)  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    # Subclasses (IntEnum, StrEnum, numpy scalars registered as numbers...) take the slow, careful path.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return format_field_value(key, int(value))
    if isinstance(value, float):
        return format_field_value(key, float(value))
    if isinstance(value, str):
        return quote_string(str(value))
    raise LineProtocolError(f"field {key!r}: {type(value).__name__} is not an int, float, bool or str")


def _check_name(name: str, what: str) -> None:
    if type(name) is not str:
        raise LineProtocolError(f"{what} {name!r} is not a string")
    if not name:
        raise LineProtocolError(f"{what} is empty")
    found = _FORBIDDEN_IN_NAMES.search(name)
    if found is not None:
        raise LineProtocolError(
            f"{what} {name!r} holds {found.group()!r}: backslashes and control characters cannot be written"
            " to every InfluxDB generation exactly"
        )


class LineEncoder:
    """Encodes points to line protocol, caching the escaped series part of each distinct measurement + tags.

    Safe to share between threads: the caches are plain dicts whose single operations are atomic, so the worst a
    race can do is escape one series twice. The series cache is emptied when it reaches its bound.
    """

    def __init__(self, max_cached_series: int = DEFAULT_MAX_CACHED_SERIES) -> None:
        self._max_cached_series = max_cached_series
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._field_keys: dict[str, str] = {}

    def series_key(self, measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
        """``measurement,k1=v1,k2=v2`` with tags sorted by key and empty values left out (cached)."""
        cache_key = (measurement, tags)
        cached = self._series.get(cache_key)
        if cached is not None:
            return cached
        parts = [escape_measurement(measurement)]
        seen: set[str] = set()
        for key, value in sorted(tags, key=_tag_key):
            if key in seen:
                raise LineProtocolError(f"tag {key!r} appears twice")
            seen.add(key)
            if value == "":
                continue
            parts.append(f"{escape_key(key, 'tag key')}={escape_key(value, f'tag {key!r} value')}")
        series = ",".join(parts)
        if len(self._series) >= self._max_cached_series:
            self._series.clear()
        self._series[cache_key] = series
        return series

    def _field_key(self, key: str) -> str:
        escaped = self._field_keys.get(key)
        if escaped is None:
            escaped = escape_key(key, "field key") + "="
            if len(self._field_keys) < 10_000:  # field keys come from the schema: a handful
                self._field_keys[key] = escaped
        return escaped

    def line(self, point: Point) -> str:
        """One point as one line (no trailing newline)."""
        series = self._series.get((point.measurement, point.tags))
        if series is None:
            series = self.series_key(point.measurement, point.tags)
        if not point.fields:
            raise LineProtocolError(f"a {point.measurement!r} point has no fields")
        field_keys = self._field_keys
        fields = []
        for key, value in point.fields:
            escaped_key = field_keys.get(key) or self._field_key(key)
            kind = type(value)
            if kind is int and _INT_MIN <= value <= _INT_MAX:  # type: ignore[operator]
                fields.append(f"{escaped_key}{value}i")
            elif kind is float and math.isfinite(value):  # type: ignore[arg-type]
                fields.append(f"{escaped_key}{value!r}")
            else:
                fields.append(escaped_key + format_field_value(key, value))
        time_ns = point.time_ns
        if type(time_ns) is not int or not TIME_MIN_NS <= time_ns <= TIME_MAX_NS:
            raise LineProtocolError(f"time {time_ns!r} is not an integer of nanoseconds InfluxDB can store")
        return f"{series} {','.join(fields)} {time_ns}"

    def encode(self, points: Iterable[Point]) -> bytes:
        """The points as a UTF-8 ``/write`` body, one line each. Raises :class:`LineProtocolError`."""
        line = self.line
        return "\n".join([line(point) for point in points]).encode()


def _tag_key(tag: tuple[str, str]) -> str:
    return tag[0]


_default_encoder = LineEncoder()


def encode_points(points: Iterable[Point]) -> bytes:
    """Encode with a module-wide encoder (and its cache)."""
    return _default_encoder.encode(points)
