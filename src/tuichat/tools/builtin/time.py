"""The `get_current_time` tool: models do not know what time it is, and guess badly."""

from __future__ import annotations

import difflib
import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_EXAMPLE_ZONES = "'Asia/Seoul' or 'America/New_York'"
# Not strftime("%A"): that follows the process locale, and the model should get stable English.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _now() -> datetime:
    """Return the current moment in UTC (a seam kept apart from the zone logic)."""
    return datetime.now(UTC)


@functools.cache
def _zones_by_folded_name() -> dict[str, str]:
    """Map case-folded IANA names to their proper spelling.

    Cached: scanning the zone database takes a while and only matters when the model misspells
    a name, which the lookup then forgives for case (`asia/seoul`).
    """
    return {name.casefold(): name for name in available_timezones()}


def _load_zone(name: str) -> ZoneInfo:
    """Load an IANA zone, forgiving surrounding spaces and letter case.

    Raises:
        ValueError: If no zone matches; the message suggests close names so the model can retry.
    """
    key = name.strip()
    try:
        return ZoneInfo(key)
    # ValueError: malformed keys ("", "../x", absolute paths); OSError: e.g. a directory name on
    # some platforms. All mean the same to the model: not a zone name.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    known = _zones_by_folded_name()
    proper = known.get(key.casefold())
    if proper is not None:
        return ZoneInfo(proper)
    close = difflib.get_close_matches(key, sorted(known.values()), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    message = f"unknown time zone {name!r}; use an IANA name such as {_EXAMPLE_ZONES}"
    raise ValueError(f"{message} ({hint})" if hint else message)


def _format_offset(offset: timedelta | None) -> str:
    """Render a UTC offset as `+09:00` (seconds only when a zone has them, e.g. historic LMT)."""
    total = int((offset or timedelta()).total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds else text


def get_current_time(timezone: str) -> dict[str, str]:
    """Get the current date and time in an IANA time zone.

    Args:
        timezone: An IANA time zone name, e.g. 'Asia/Seoul', 'Europe/Berlin' or 'UTC'.

    Returns:
        The zone, the ISO 8601 date and time (seconds precision), the weekday, the UTC offset and
        the zone's abbreviation.

    Raises:
        ValueError: If the time zone is unknown.
    """
    zone = _load_zone(timezone)
    local = _now().astimezone(zone).replace(microsecond=0)
    return {
        "timezone": zone.key,
        "datetime": local.isoformat(),
        "weekday": _WEEKDAYS[local.weekday()],
        "utc_offset": _format_offset(local.utcoffset()),
        "abbreviation": local.tzname() or "",
    }
