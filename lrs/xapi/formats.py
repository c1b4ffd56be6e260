"""Formats of xAPI values: IRIs, mailto, UUIDs, timestamps, durations, media types.

Each check is a compiled pattern or a small function, cheap enough for the hot path.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# RFC 3987: a scheme, then no whitespace and none of the characters IRIs exclude.
_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"{}|\\^`\x00-\x1f\x7f]+$')
_HTTP_WITHOUT_HOST = re.compile(r"^https?:(?!//[^/?#\s]+)", re.IGNORECASE)
_MAILTO = re.compile(r"^mailto:[^\s@]+@[^\s@]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_SHA2 = re.compile(r"^(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_MEDIA_TYPE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*"
    r"(?:\s*;\s*[A-Za-z0-9!#$&^_.+\-]+=(?:\"(?:[^\"\\]|\\.)*\"|[^;\s\"]+))*\s*;?\s*$"
)

# Extended-format ISO 8601 date-time with a zone. 2.0 (RFC 3339) allows only Z and
# +hh:mm offsets; 1.0.3 (ISO 8601) also +hhmm and +hh. "-00:00" means "unknown
# offset" in RFC 3339 and is refused in both.
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2})(:?)(\d{2})?)$"
)

# ISO 8601:2004 4.4.3.2 durations (Data 4.6); the alternative format is refused.
_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"^P(?:(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?|{_NUM}W)$"
)


def is_iri(value: str) -> bool:
    return bool(_IRI.match(value)) and not _HTTP_WITHOUT_HOST.match(value)


def is_mailto(value: str) -> bool:
    return bool(_MAILTO.match(value))


def is_sha1(value: str) -> bool:
    return bool(_SHA1.match(value))


def is_sha2(value: str) -> bool:
    return bool(_SHA2.match(value))


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def is_media_type(value: str) -> bool:
    return bool(_MEDIA_TYPE.match(value))


def parse_timestamp(value: str, *, rfc3339: bool = False) -> datetime | None:
    """The instant a timestamp names, or None when it is not a valid timestamp."""
    match = _TIMESTAMP.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, colon, om = match.groups()
    if zulu:
        zone: timezone = UTC
    else:
        if colon and om is None:
            return None
        if rfc3339 and not colon:
            return None
        if sign == "-" and oh == "00" and om in (None, "00"):
            return None
        offset = timedelta(hours=int(oh), minutes=int(om or 0))
        if int(oh) > 23 or int(om or 0) > 59:
            return None
        zone = timezone(offset if sign == "+" else -offset)
    # A leap second is a valid timestamp; datetime cannot hold it, so it is read as
    # the last microsecond of that minute.
    leap = second == "60"
    micros = 999_999 if leap else int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            59 if leap else int(second), micros, tzinfo=zone,
        )
    except ValueError:
        return None


def timestamp_to_utc_text(value: str, moment: datetime) -> str:
    """The same instant in UTC ("Z"), keeping the given fraction digits.

    Data 4.5: the LRS SHOULD* return timestamps in UTC and MAY change the zone as
    long as the instant is unchanged. A timestamp already in "Z" is kept as sent.
    """
    if value.endswith("Z") and "t" not in value:
        return value
    match = _TIMESTAMP.match(value)
    fraction = match.group(7) if match else None
    base = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def is_duration(value: str) -> bool:
    match = _DURATION.match(value)
    if not match:
        return False
    present = [group for group in match.groups() if group is not None]
    # Only the smallest component given may carry a decimal fraction.
    return all("." not in part and "," not in part for part in present[:-1])


_DURATION_SECONDS = (365.2425 * 86400, 30.436875 * 86400, 86400, 3600, 60, 1)


def duration_seconds(value: str) -> float | None:
    """Approximate length of a valid duration in seconds (years and months averaged)."""
    match = _DURATION.match(value)
    if not match:
        return None
    groups = match.groups()
    if groups[6] is not None:
        return float(groups[6].replace(",", ".")) * 7 * 86400
    total = 0.0
    for part, factor in zip(groups[:6], _DURATION_SECONDS, strict=True):
        if part is not None:
            total += float(part.replace(",", ".")) * factor
    return total


def truncate_duration(value: str) -> str:
    """A duration with seconds truncated to 0.01 s, for comparisons (Data 4.6)."""
    match = re.search(r"(\d+)[.,](\d+)S$", value)
    if not match:
        return value
    digits = match.group(2)[:2].rstrip("0")
    seconds = match.group(1) + (f".{digits}" if digits else "")
    return value[: match.start()] + seconds + "S"
