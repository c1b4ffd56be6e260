"""Formats of xAPI values: IRIs, mailto, UUIDs, timestamps, durations, media types.

Each check is a compiled pattern or a small function, cheap enough for the hot path.
Patterns are matched whole (``fullmatch``: a ``$`` would let a trailing newline
through) with ASCII classes (``\\d`` must not accept Arabic-Indic digits).
"""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

# RFC 3987: a scheme, then no whitespace and none of the characters IRIs exclude.
_IRI = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>"{}|\\^`\x00-\x1f\x7f\x85\xa0]+')
_HTTP_WITHOUT_HOST = re.compile(r"^https?:(?!//[^/?#\s]+)", re.IGNORECASE)
# Not re.ASCII: no Unicode space (U+00A0, U+2028...) belongs in an address either.
_MAILTO = re.compile(r"mailto:[^\s@]+@[^\s@]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_SHA2 = re.compile(r"[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*"
    r"(?:[ \t]*;[ \t]*[A-Za-z0-9!#$&^_.+\-]+=(?:\"(?:[^\"\\]|\\.)*\"|[^;\s\"]+))*"
)

# ISO 8601 extended-format date-time with seconds and a zone written as RFC 3339
# has it ("Z" or +hh:mm) in both versions: the form every client library sends,
# and the one xAPI 2.0 requires. "-00:00" means "unknown offset" and is refused.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)

# ISO 8601:2004 4.4.3.2 durations (Data 4.6); the alternative format is refused.
_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?|{_NUM}W)",
    re.ASCII,
)


# Characters that make one identifier look like another, or reorder what a reader
# sees: C0 and C1 controls (Cc) and format characters (Cf), among them the bidi
# embeddings, overrides and isolates U+202A-202E and U+2066-2069, LRM, RLM and ALM,
# which RFC 3987 4.1 forbids in IRIs, and the invisible soft hyphen, zero-width space
# and word joiner. ZWNJ and ZWJ stay allowed: Persian and Indic words are spelt with
# them, and IDNA2008 admits them in domain names (RFC 5892 A.1, A.2).
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_JOINERS = frozenset("\u200c\u200d")
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf"))


def control_character(value: str) -> str | None:
    """The first control or invisible formatting character of ``value``, or None."""
    if value.isascii():
        found = _ASCII_CONTROL.search(value)
        return found.group() if found else None
    for char in value:
        if char >= "\x80" and unicodedata.category(char) in _HIDDEN_CATEGORIES:
            if char not in _JOINERS:
                return char
        elif char < " " or char == "\x7f":
            return char
    return None


def is_iri(value: str) -> bool:
    return (
        bool(_IRI.fullmatch(value))
        and not _HTTP_WITHOUT_HOST.match(value)
        and (value.isascii() or control_character(value) is None)
    )


def is_mailto(value: str) -> bool:
    return bool(_MAILTO.fullmatch(value)) and control_character(value) is None


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold_mbox(value: str) -> str:
    """An mbox with its domain in lowercase, for comparing identities (Data 2.4.2.3).

    The domain of an address is case-insensitive, its local part is not (RFC 5321
    2.4). Only ASCII letters fold: ``str.lower`` would turn the KELVIN SIGN (U+212A)
    into "k", and "victim@\u212aelvin.example" into somebody else's address.
    """
    local, at, domain = value.partition("@")
    return f"{local}{at}{domain.translate(_ASCII_LOWER)}"


def is_sha1(value: str) -> bool:
    return bool(_SHA1.fullmatch(value))


def is_sha2(value: str) -> bool:
    return bool(_SHA2.fullmatch(value))


def is_uuid(value: str) -> bool:
    return bool(_UUID.fullmatch(value))


def is_media_type(value: str) -> bool:
    return bool(_MEDIA_TYPE.fullmatch(value))


def parse_timestamp(value: str, *, rfc3339: bool = True) -> datetime | None:
    """The instant a timestamp names, or None when it is not a valid timestamp.

    ``rfc3339`` is kept for callers that distinguish versions; both versions use
    the RFC 3339 zone forms (see ``_TIMESTAMP``).
    """
    del rfc3339
    match = _TIMESTAMP.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = match.groups()
    if zulu:
        zone: timezone = UTC
    else:
        if sign == "-" and oh == "00" and om == "00":
            return None
        if int(oh) > 23 or int(om) > 59:
            return None
        offset = timedelta(hours=int(oh), minutes=int(om))
        zone = timezone(offset if sign == "+" else -offset)
    # A leap second is a valid timestamp; datetime cannot hold it, so it is read as
    # the last microsecond of that minute.
    leap = second == "60"
    micros = 999_999 if leap else int((fraction or "0")[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            59 if leap else int(second), micros, tzinfo=zone,
        )
        # An instant outside years 1..9999 in UTC cannot be stored or compared.
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


def timestamp_to_utc_text(value: str, moment: datetime) -> str:
    """The same instant in UTC ("Z"), keeping the given fraction digits.

    Data 4.5: the LRS SHOULD* return timestamps in UTC and MAY change the zone as
    long as the instant is unchanged. A timestamp already in "Z" is kept as sent.
    """
    if value.endswith("Z") and "t" not in value:
        return value
    match = _TIMESTAMP.fullmatch(value)
    fraction = match.group(7) if match else None
    utc = moment.astimezone(UTC)
    # Not strftime("%Y"): it drops the leading zeros of years before 1000 on glibc.
    base = f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}"
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def is_duration(value: str) -> bool:
    match = _DURATION.fullmatch(value)
    if not match:
        return False
    present = [group for group in match.groups() if group is not None]
    # Only the smallest component given may carry a decimal fraction.
    return all("." not in part and "," not in part for part in present[:-1])


_DURATION_SECONDS = (365.2425 * 86400, 30.436875 * 86400, 86400, 3600, 60, 1)


def duration_seconds(value: str) -> float | None:
    """Approximate length of a valid duration in seconds (years and months averaged)."""
    match = _DURATION.fullmatch(value)
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
