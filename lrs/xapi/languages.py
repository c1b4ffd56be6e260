"""RFC 5646 language tags (Data 4.2) and Accept-Language selection (RFC 7231 5.3.5).

A tag must be well formed (the RFC's ABNF, below) and made of registered subtags
(``langcodes`` knows the IANA registry). The ABNF check comes first because
``langcodes`` is forgiving ("en_US" parses there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import langcodes

_ALNUM = "[A-Za-z0-9]"
_LANGUAGE = r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4}|[A-Za-z]{5,8})"
_SCRIPT = r"(?:-[A-Za-z]{4})"
_REGION = r"(?:-(?:[A-Za-z]{2}|\d{3}))"
_VARIANT = rf"(?:-(?:{_ALNUM}{{5,8}}|\d{_ALNUM}{{3}}))"
_EXTENSION = rf"(?:-[0-9A-WYZa-wyz](?:-{_ALNUM}{{2,8}})+)"
_PRIVATE = rf"(?:x(?:-{_ALNUM}{{1,8}})+)"
_GRANDFATHERED = (
    "en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|"
    "i-pwn|i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE|art-lojban|cel-gaulish|no-bok|"
    "no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
)
_WELL_FORMED = re.compile(
    rf"(?:{_LANGUAGE}{_SCRIPT}?{_REGION}?{_VARIANT}*{_EXTENSION}*(?:-{_PRIVATE})?"
    rf"|{_PRIVATE}|(?:{_GRANDFATHERED}))",
    re.IGNORECASE | re.ASCII,
)


@lru_cache(maxsize=8192)
def is_language_tag(tag: str) -> bool:
    if not _WELL_FORMED.fullmatch(tag):
        return False
    # Repeated singletons or variants are well formed by the ABNF but invalid.
    subtags = [s.lower() for s in tag.split("-")]
    singletons = [s for s in subtags if len(s) == 1]
    if len(singletons) != len(set(singletons)) and "x" not in singletons[:-1]:
        return False
    return bool(langcodes.tag_is_valid(tag))


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges in preference order (q=0 dropped, "*" kept last)."""
    if not header:
        return []
    ranges: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        parts = [p.strip() for p in item.split(";")]
        name = parts[0]
        if not name:
            continue
        quality = 1.0
        for param in parts[1:]:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((-quality, index, name.lower()))
    return [name for _, _, name in sorted(ranges)]


def pick_language(language_map: Mapping[str, Any], ranges: list[str]) -> dict[str, Any]:
    """One entry of a language map, the best for the client's ranges (Comm. 2.1.3.s4).

    Basic filtering: a range matches a tag equal to it or starting with it and
    "-". Without a match, "und" or the first entry is returned, so the map keeps
    exactly one language.
    """
    if not language_map:
        return {}
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in ranges:
        if wanted == "*":
            break
        if wanted in lowered:
            tag = lowered[wanted]
            return {tag: language_map[tag]}
        for low, tag in lowered.items():
            if low.startswith(wanted + "-"):
                return {tag: language_map[tag]}
    for fallback in ("und",):
        if fallback in lowered:
            tag = lowered[fallback]
            return {tag: language_map[tag]}
    tag = next(iter(language_map))
    return {tag: language_map[tag]}
