"""Hypothesis strategies for *valid* xAPI statements, written from the specification.

Sources: xAPI 1.0.3 "Part Two: Data" (adlnet/xAPI-Spec ``xAPI-Data.md``, sections 2 and 4;
cited below as "Data x.y") and "Part Three: Communication" (``xAPI-Communication.md``), plus
the xAPI 2.0 (IEEE 9274.1.1) additions ``context.contextAgents`` / ``context.contextGroups``
and statement versions "2.0.x". Where the spec leaves a choice to the LRS, the project's
policy decides (see the module docstring of ``tests/mutations.py``); these strategies only
generate data that is valid under both the spec and that policy, and stay away from the
ambiguous corners (those are pinned down case by case in ``test_statement_rules.py``).

Everything is a plain JSON value (dict / list / str / int / float / bool / None), as the
validator receives it after JSON parsing. Sizes are kept small so a statement draws fast.
"""

from __future__ import annotations

import string
from datetime import datetime
from functools import cache

from hypothesis import strategies as st

VERSIONS = ("1.0.3", "2.0.0")

_BOOL = st.booleans()


@cache
def _int(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@cache
def _one_of_values(values: tuple) -> st.SearchStrategy:
    return st.sampled_from(values)


@cache
def _list_of(
    elements: st.SearchStrategy, min_size: int, max_size: int, unique: bool = False
) -> st.SearchStrategy[list]:
    return st.lists(elements, min_size=min_size, max_size=max_size, unique=unique)


def _choice(draw, pool: list | tuple) -> object:
    """One element of a pool known only at draw time (no new strategy object per draw)."""
    return pool[draw(_int(0, len(pool) - 1))]


def _subset(draw, pool: list | tuple) -> list:
    """A non-empty list of distinct elements of ``pool``, in a drawn order."""
    remaining = list(pool)
    out = [remaining.pop(draw(_int(0, len(remaining) - 1)))]
    while remaining and draw(_int(0, 2)) == 0:
        out.append(remaining.pop(draw(_int(0, len(remaining) - 1))))
    return out


VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"

# Data 2.4.4.1.s8: the ten interactionType values.
INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
# Data 2.4.4.1.s15 table 2: the component lists each interactionType supports.
COMPONENT_LISTS: dict[str, tuple[str, ...]] = {
    "choice": ("choices",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "matching": ("source", "target"),
    "performance": ("steps",),
}
ALL_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
CONTEXT_ACTIVITY_KEYS = ("parent", "grouping", "category", "other")

# RFC 5646 tags that are well-formed *and* made of registered subtags (Data 4.2).
LANGUAGE_TAGS = (
    "en",
    "en-US",
    "en-GB",
    "fr",
    "fr-CA",
    "de",
    "de-CH",
    "es",
    "es-419",
    "es-MX",
    "it",
    "nl",
    "ja",
    "pt-BR",
    "zh-Hans",
    "zh-Hant-TW",
    "sr-Latn-RS",
    "ar",
    "und",
)

# Verbs people actually send (ADL vocabulary) besides generated IRIs.
ADL_VERBS = (
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/attended",
    "https://w3id.org/xapi/dod-isd/verbs/planned",
)

# ---------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------

_TEXT_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


@cache
def texts(min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    """Free text ("String" in the spec): any Unicode, including the empty string."""
    return st.text(_TEXT_CHARS, min_size=min_size, max_size=max_size)


@cache
def language_tags() -> st.SearchStrategy[str]:
    return st.sampled_from(LANGUAGE_TAGS)


@cache
def language_maps() -> st.SearchStrategy[dict[str, str]]:
    """Data 4.2: a dictionary of RFC 5646 tag -> string. Never empty (Data 2.2.s2.b1)."""
    return st.dictionaries(language_tags(), texts(max_size=20), min_size=1, max_size=3)


_SEGMENT = st.text(string.ascii_lowercase + string.digits + "-_.~", min_size=1, max_size=8)
_HOSTS = st.sampled_from(
    (
        "example.com",
        "example.org",
        "www.example.co.uk",
        "lrs.example.net:8080",
        "adlnet.gov",
        "w3id.org",
        "127.0.0.1",
        "EXAMPLE.com",
    )
)
_UNICODE_SEGMENTS = st.sampled_from(("فعل", "خواندن", "café", "日本語", "übung", "ζ"))


@cache
@st.composite
def http_urls(draw, unicode: bool = False) -> str:
    """An absolute http(s) URL, optionally with query and fragment (an IRL, Data 2.4.2.4)."""
    scheme = draw(_one_of_values(("http", "https")))
    host = draw(_HOSTS)
    segs = draw(_list_of(_UNICODE_SEGMENTS if unicode else _SEGMENT, 0, 3))
    url = f"{scheme}://{host}/" + "/".join(segs)
    if draw(_int(0, 5)) == 0:
        url += "?" + draw(_SEGMENT) + "=" + draw(_SEGMENT)
    if draw(_int(0, 4)) == 0:
        url += "#" + draw(_SEGMENT)
    return url


@cache
def uuids() -> st.SearchStrategy[str]:
    """Data 4.4: standard string form 8-4-4-4-12; hexadecimal in either case."""
    lower = st.one_of(st.uuids(version=4), st.uuids(version=1)).map(str)
    return st.one_of(lower, lower.map(str.upper))


@cache
def iris() -> st.SearchStrategy[str]:
    """Absolute IRIs with a scheme (Data 4.3, 2.2.s4.b1.b8), ASCII or not."""
    return st.one_of(
        http_urls(),
        http_urls(unicode=True),  # Data 2.4.3.1: e.g. http://example.com/فعل/خواندن
        uuids().map(lambda u: f"urn:uuid:{u.lower()}"),
        _SEGMENT.map(lambda s: f"urn:example:{s}"),
        _SEGMENT.map(lambda s: f"tag:example.com,2024:{s}"),
        st.just("urn:isbn:0451450523"),
    )


@cache
def irls() -> st.SearchStrategy[str]:
    """IRLs: IRIs that are URLs (About, Definitions). http(s) only, so valid either way."""
    return st.one_of(http_urls(), http_urls(unicode=True))


@cache
def uuid_strings() -> st.SearchStrategy[str]:
    return uuids()


_ZONES = ("Z", "+00:00", "+01:00", "-05:00", "+05:30", "-09:30", "+14:00", "-12:00")


@cache
@st.composite
def timestamps(draw, future: bool = False) -> str:
    """ISO 8601 / RFC 3339 date-time with "T", seconds, optional fraction and a zone."""
    lo, hi = (
        (datetime(2030, 1, 1), datetime(2099, 12, 31))
        if future
        else (
            datetime(1990, 1, 1),
            datetime(2025, 12, 31),
        )
    )
    moment = draw(st.datetimes(min_value=lo, max_value=hi))
    digits = draw(_one_of_values((0, 0, 1, 3, 3, 6, 9)))
    fraction = (
        "" if digits == 0 else "." + f"{moment.microsecond:06d}{draw(_int(0, 999)):03d}"[:digits]
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + draw(_one_of_values(_ZONES))


_ANY_TIMESTAMP = st.one_of(timestamps(), timestamps(future=True))


@cache
@st.composite
def durations(draw) -> str:
    """Data 4.6: ISO 8601:2004 4.4.3.2 durations (PnYnMnDTnHnMnS or PnW)."""
    if draw(_int(0, 7)) == 0:
        return f"P{draw(_int(0, 60))}W"
    num = _int(0, 99)
    date_parts = [(unit, draw(num)) for unit in "YMD" if draw(_BOOL)]
    time_parts: list[tuple[str, object]] = [(unit, draw(num)) for unit in "HM" if draw(_BOOL)]
    if draw(_BOOL) or not (date_parts or time_parts):
        seconds: object = draw(_int(0, 9999))
        if draw(_BOOL):
            seconds = f"{seconds}.{draw(_int(0, 99)):02d}"
        time_parts.append(("S", seconds))
    text = "P" + "".join(f"{n}{u}" for u, n in date_parts)
    if time_parts:
        text += "T" + "".join(f"{n}{u}" for u, n in time_parts)
    return text


# Extension values: any JSON, including null, empty containers and things that *look* like
# invalid statement parts (Data 4.1.s3.b2: an LRS MUST NOT reject based on extension values).
_ODD_EXTENSION_VALUES = (
    None,
    {},
    [],
    {"Actor": None, "objectType": "Bogus", "mbox": "not-a-mailto"},
    [None, {"id": ""}, {"timestamp": "yesterday"}],
    {"http://example.com/nested": {"deeper": [1, 2.5, None, True]}},
    "",
)
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    texts(max_size=8),
)
json_values = st.recursive(
    _JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(texts(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


@cache
def extensions() -> st.SearchStrategy[dict[str, object]]:
    """Data 4.1: a map IRI -> any JSON value. May be empty; values may be null."""
    return st.dictionaries(
        iris(), st.one_of(json_values, st.sampled_from(_ODD_EXTENSION_VALUES)), max_size=3
    )


# ---------------------------------------------------------------------------------------
# Agents and Groups (Data 2.4.2)
# ---------------------------------------------------------------------------------------

_LOCAL = st.text(string.ascii_lowercase + string.digits + "._+-", min_size=1, max_size=10).filter(
    lambda s: s[0] not in "." and s[-1] != "." and ".." not in s
)
_DOMAIN = st.sampled_from(
    ("example.com", "example.org", "adlnet.gov", "mail.example.co.uk", "EXAMPLE.COM", "Example.Net")
)


@cache
@st.composite
def mboxes(draw) -> str:
    """Data 2.4.2.3: "mailto:email address". Domain case is free (Data 2.3.1.b7)."""
    return f"mailto:{draw(_LOCAL)}@{draw(_DOMAIN)}"


@cache
def mbox_sha1sums() -> st.SearchStrategy[str]:
    hexes = st.binary(min_size=20, max_size=20).map(bytes.hex)
    return st.one_of(hexes, hexes.map(str.upper))


@cache
def openids() -> st.SearchStrategy[str]:
    return http_urls()


@cache
def accounts() -> st.SearchStrategy[dict[str, str]]:
    """Data 2.4.2.4: homePage (IRL) and name, both required."""
    return st.fixed_dictionaries({"homePage": irls(), "name": account_names()})


# An account name is an identifier: no control or invisible formatting characters
# (Cc, Cf; ZWNJ and ZWJ are letters' joiners and stay allowed, see lrs.xapi.value_formats).
_NAME_CHARS = st.characters(
    exclude_categories=("Cs", "Cc", "Cf"), include_characters="\u200c\u200d"
)


@cache
def account_names() -> st.SearchStrategy[str]:
    return st.text(_NAME_CHARS, min_size=1, max_size=10)


@cache
def ifis() -> st.SearchStrategy[tuple[str, object]]:
    return st.one_of(
        mboxes().map(lambda v: ("mbox", v)),
        mbox_sha1sums().map(lambda v: ("mbox_sha1sum", v)),
        openids().map(lambda v: ("openid", v)),
        accounts().map(lambda v: ("account", v)),
    )


@cache
@st.composite
def agents(draw, object_type: str = "optional") -> dict:
    """Data 2.4.2.1. ``object_type``: "optional" | "required" | "absent"."""
    agent: dict = {}
    key, value = draw(ifis())
    agent[key] = value
    if object_type == "required" or (object_type == "optional" and draw(_BOOL)):
        agent["objectType"] = "Agent"
    if draw(_BOOL):
        agent["name"] = draw(texts(max_size=16))
    return agent


@cache
@st.composite
def groups(draw, kind: str | None = None) -> dict:
    """Data 2.4.2.2. ``kind``: "identified" | "anonymous" | None (either)."""
    kind = kind or draw(_one_of_values(("identified", "anonymous")))
    group: dict = {"objectType": "Group"}
    if kind == "identified":
        key, value = draw(ifis())
        group[key] = value
        if draw(_BOOL):
            group["member"] = draw(_list_of(agents(), 1, 3))
    else:
        group["member"] = draw(_list_of(agents(), 1, 3))
    if draw(_BOOL):
        group["name"] = draw(texts(max_size=16))
    return group


@cache
def actors() -> st.SearchStrategy[dict]:
    return st.one_of(agents(), agents(), groups())


@cache
@st.composite
def authorities(draw) -> dict:
    """Data 2.4.9.s3.b1: an Agent, or (3-legged OAuth) a Group of exactly two Agents."""
    if draw(_BOOL):
        return draw(agents())
    app = {"account": {"homePage": draw(irls()), "name": draw(account_names())}}
    if draw(_BOOL):
        app["objectType"] = "Agent"
    return {"objectType": "Group", "member": [app, draw(agents())]}


# ---------------------------------------------------------------------------------------
# Verbs (Data 2.4.3)
# ---------------------------------------------------------------------------------------


_VERB_IDS = st.one_of(st.sampled_from(ADL_VERBS), iris())


@cache
@st.composite
def verbs(draw, verb_id: str | None = None) -> dict:
    if verb_id is None:
        verb_id = draw(_VERB_IDS)
    verb: dict = {"id": verb_id}
    if draw(_int(0, 3)) > 0:
        verb["display"] = draw(language_maps())
    return verb


# ---------------------------------------------------------------------------------------
# Activities (Data 2.4.4.1)
# ---------------------------------------------------------------------------------------

_COMPONENT_ID = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)
_STEP_RESPONSES = st.one_of(_COMPONENT_ID, st.sampled_from(("1:", ":10", "2:5", "")))


@cache
@st.composite
def interaction_components(draw, min_size: int = 1) -> list[dict]:
    """Data 2.4.4.1.s15: {id (required), description (language map)}; ids distinct."""
    ids = draw(_list_of(_COMPONENT_ID, min_size, 4, unique=True))
    out = []
    for cid in ids:
        component: dict = {"id": cid}
        if draw(_int(0, 3)) > 0:
            component["description"] = draw(language_maps())
        out.append(component)
    return out


def _join(items: list[str], sep: str = "[,]") -> str:
    return sep.join(items)


@st.composite
def _response_pattern(draw, itype: str, lists: dict[str, list[dict]]) -> str:
    """One response pattern in the format of Data 2.4.4.1.s10 for the interaction type."""

    def ids(name: str, fallback: tuple[str, ...]) -> list[str]:
        return [c["id"] for c in lists.get(name, [])] or list(fallback)

    if itype == "true-false":
        return draw(_one_of_values(("true", "false")))
    if itype in ("choice", "sequencing"):
        pool = ids("choices", ("golf", "tetris", "facebook"))
        picked = _subset(draw, pool)
        return _join(picked)
    if itype == "likert":
        return _choice(draw, ids("scale", ("likert_0", "likert_1")))
    if itype == "matching":
        src, tgt = ids("source", ("ben", "chris")), ids("target", ("1", "2"))
        pairs = [(_choice(draw, src), _choice(draw, tgt)) for _ in range(draw(_int(1, 3)))]
        return _join([f"{s}[.]{t}" for s, t in pairs])
    if itype == "performance":
        steps = ids("steps", ("pong", "dg"))
        responses = _STEP_RESPONSES
        chosen = _subset(draw, steps)
        return _join([f"{s}[.]{draw(responses)}" for s in chosen])
    if itype == "numeric":
        return draw(_one_of_values(("4[:]", "[:]4", "1[:]5", "7", "-2.5[:]2.5")))
    if itype in ("fill-in", "long-fill-in"):
        words = draw(_list_of(texts(min_size=1, max_size=10), 1, 2))
        prefix = draw(
            _one_of_values(("", "{case_matters=false}", "{lang=en}", "{order_matters=true}"))
        )
        return prefix + _join(words)
    return draw(texts(max_size=20))  # "other": any format


@cache
@st.composite
def interaction_definitions(draw, interaction_type: str | None = None) -> dict:
    """The interaction part of an Activity Definition (Data 2.4.4.1.s8..s16)."""
    itype = interaction_type or draw(_one_of_values(INTERACTION_TYPES))
    out: dict = {"interactionType": itype}
    lists: dict[str, list[dict]] = {}
    for name in COMPONENT_LISTS.get(itype, ()):
        if draw(_int(0, 4)) > 0:
            lists[name] = draw(interaction_components())
    out.update(lists)
    choice = draw(_int(0, 6))
    if choice == 0:
        out["correctResponsesPattern"] = []  # Data 2.4.4.1.s11: no correct answer
    elif choice > 1:
        out["correctResponsesPattern"] = draw(
            st.lists(_response_pattern(itype, lists), min_size=1, max_size=2)
        )
    return out


@cache
@st.composite
def activity_definitions(
    draw, interaction: bool | None = None, interaction_type: str | None = None
) -> dict:
    """Data 2.4.4.1.s2; never empty. ``interaction``: force with/without interaction."""
    if interaction is None:
        interaction = draw(_int(0, 2)) == 0
    definition: dict = {}
    if interaction or interaction_type:
        definition.update(draw(interaction_definitions(interaction_type)))
        if draw(_int(0, 2)) > 0:
            definition["type"] = "http://adlnet.gov/expapi/activities/cmi.interaction"
    elif draw(_BOOL):
        definition["type"] = draw(iris())
    if draw(_BOOL):
        definition["name"] = draw(language_maps())
    if draw(_BOOL):
        definition["description"] = draw(language_maps())
    if draw(_int(0, 3)) == 0:
        definition["moreInfo"] = draw(irls())
    if draw(_int(0, 3)) == 0:
        definition["extensions"] = draw(extensions())
    if not definition:
        definition["name"] = draw(language_maps())
    return definition


@cache
@st.composite
def activities(
    draw,
    object_type: str = "optional",
    definition: bool | None = None,
    interaction: bool | None = None,
) -> dict:
    """Data 2.4.4.1: {objectType?: "Activity", id: IRI, definition?}."""
    activity: dict = {"id": draw(iris())}
    if object_type == "required" or (object_type == "optional" and draw(_BOOL)):
        activity["objectType"] = "Activity"
    if definition is None:
        definition = draw(_int(0, 2)) > 0
    if definition:
        activity["definition"] = draw(activity_definitions(interaction=interaction))
    return activity


@cache
def interaction_activities(interaction_type: str | None = None) -> st.SearchStrategy[dict]:
    """An Activity whose definition is an interaction of the given (or any) type."""
    return st.builds(
        lambda a, d: {**a, "definition": d},
        activities(definition=False),
        activity_definitions(interaction=True, interaction_type=interaction_type),
    )


@cache
def statement_refs() -> st.SearchStrategy[dict]:
    """Data 2.4.4.3.s4: exactly {objectType: "StatementRef", id: UUID}."""
    return uuids().map(lambda u: {"objectType": "StatementRef", "id": u})


# ---------------------------------------------------------------------------------------
# Result (Data 2.4.5)
# ---------------------------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers(-1000, 1000),
    st.floats(-1000, 1000, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3)),
)


_SCALED = st.one_of(
    st.sampled_from((-1, 0, 1, -1.0, 1.0, 0.5)),
    st.floats(-1, 1, allow_nan=False).map(lambda x: round(x, 4)),
)
_UNIT = st.floats(0, 1)


@cache
@st.composite
def scores(draw) -> dict:
    """Data 2.4.5.1: scaled in [-1, 1]; min < max; min <= raw <= max (where present)."""
    score: dict = {}
    if draw(_int(0, 3)) > 0:
        score["scaled"] = draw(_SCALED)
    lo = hi = None
    if draw(_BOOL):
        a, b = draw(_NUMBERS), draw(_NUMBERS)
        if a == b:
            b = a + 1
        lo, hi = min(a, b), max(a, b)
        which = draw(_one_of_values(("both", "both", "min", "max")))
        if which in ("both", "min"):
            score["min"] = lo
        if which in ("both", "max"):
            score["max"] = hi
        if which == "min":
            hi = None
        if which == "max":
            lo = None
    if draw(_BOOL) or not score:
        if lo is not None and hi is not None:
            where = draw(_int(0, 2))
            raw = (
                lo
                if where == 0
                else hi
                if where == 1
                else min(max(round(lo + (hi - lo) * draw(_UNIT), 2), lo), hi)
            )
        elif lo is not None:
            raw = lo + draw(_int(0, 100))
        elif hi is not None:
            raw = hi - draw(_int(0, 100))
        else:
            raw = draw(_NUMBERS)
        score["raw"] = raw
    return score


@cache
@st.composite
def results(draw) -> dict:
    result: dict = {}
    if draw(_BOOL):
        result["score"] = draw(scores())
    if draw(_BOOL):
        result["success"] = draw(_BOOL)
    if draw(_BOOL):
        result["completion"] = draw(_BOOL)
    if draw(_int(0, 2)) == 0:
        result["response"] = draw(texts(max_size=20))
    if draw(_BOOL):
        result["duration"] = draw(durations())
    if draw(_int(0, 3)) == 0:
        result["extensions"] = draw(extensions())
    if not result:
        result["completion"] = True
    return result


# ---------------------------------------------------------------------------------------
# Context (Data 2.4.6, xAPI 2.0 contextAgents / contextGroups)
# ---------------------------------------------------------------------------------------


@cache
def _activity_or_list() -> st.SearchStrategy[object]:
    """Data 2.4.6.2.s4.b2: a single Activity Object or an array of Activity Objects."""
    acts = activities(definition=False) | activities(interaction=False)
    return st.one_of(st.lists(acts, min_size=1, max_size=2), acts)


@cache
@st.composite
def context_activities(draw) -> dict:
    keys = _subset(draw, CONTEXT_ACTIVITY_KEYS)
    return {k: draw(_activity_or_list()) for k in keys}


@cache
def _relevant_types() -> st.SearchStrategy[list[str]]:
    return st.lists(iris(), min_size=1, max_size=2)


@cache
@st.composite
def context_agents(draw) -> dict:
    item: dict = {"objectType": "contextAgent", "agent": draw(agents())}
    if draw(_BOOL):
        item["relevantTypes"] = draw(_relevant_types())
    return item


@cache
@st.composite
def context_groups(draw) -> dict:
    item: dict = {"objectType": "contextGroup", "group": draw(groups())}
    if draw(_BOOL):
        item["relevantTypes"] = draw(_relevant_types())
    return item


_AGENT_OR_GROUP = st.one_of(agents(), groups())


@cache
@st.composite
def contexts(draw, version: str = "1.0.3", object_is_activity: bool = True) -> dict:
    """Data 2.4.6; revision/platform only when the statement's object is an Activity."""
    context: dict = {}

    def maybe(n: int = 2) -> bool:
        return draw(_int(0, n)) == 0

    if maybe(1):
        context["registration"] = draw(uuids())
    if maybe():
        context["instructor"] = draw(_AGENT_OR_GROUP)
    if maybe(3):
        context["team"] = draw(groups())
    if maybe(1):
        context["contextActivities"] = draw(context_activities())
    if object_is_activity and maybe():
        context["revision"] = draw(texts(max_size=8))
    if object_is_activity and maybe():
        context["platform"] = draw(texts(max_size=12))
    if maybe():
        context["language"] = draw(language_tags())
    if maybe(3):
        context["statement"] = draw(statement_refs())
    if maybe(3):
        context["extensions"] = draw(extensions())
    if version.startswith("2.") and maybe(2):
        context["contextAgents"] = draw(_list_of(context_agents(), 1, 2))
    if version.startswith("2.") and maybe(2):
        context["contextGroups"] = draw(_list_of(context_groups(), 1, 2))
    if not context:
        context["registration"] = draw(uuids())
    return context


# ---------------------------------------------------------------------------------------
# Attachments (Data 2.4.11)
# ---------------------------------------------------------------------------------------

_MEDIA_TYPES = (
    "text/plain",
    "text/plain; charset=ascii",
    "application/octet-stream",
    "application/json",
    "image/png",
    "application/pdf",
    "video/mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)


_USAGE_TYPES = st.one_of(st.just(SIGNATURE), iris())


@cache
@st.composite
def attachments(draw) -> dict:
    attachment: dict = {
        "usageType": draw(_USAGE_TYPES),
        "display": draw(language_maps()),
        "contentType": draw(_one_of_values(_MEDIA_TYPES)),
        "length": draw(_int(0, 10**7)),
        "sha2": draw(
            _one_of_values((32, 48, 64))
            .flatmap(lambda n: st.binary(min_size=n, max_size=n))
            .map(bytes.hex)
        ),
    }
    if attachment["usageType"] == SIGNATURE:  # Data 2.6.s4.b1
        attachment["contentType"] = "application/octet-stream"
    if draw(_BOOL):
        attachment["description"] = draw(language_maps())
    if draw(_BOOL):
        attachment["fileUrl"] = draw(irls())
    return attachment


# ---------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------

_OBJECT_KINDS = (
    ("Activity",) * 5
    + ("Interaction",) * 2
    + ("Agent", "Group", "StatementRef", "SubStatement", "SubStatement")
)


@cache
@st.composite
def _statement_object(draw, kind: str, version: str) -> dict:
    if kind == "Activity":
        return draw(activities())
    if kind == "Interaction":
        return draw(interaction_activities())
    if kind == "Agent":
        return draw(agents(object_type="required"))  # Data 2.4.4.2.s1.b1
    if kind == "Group":
        return draw(groups())
    if kind == "StatementRef":
        return draw(statement_refs())
    return draw(substatements(version))


@cache
@st.composite
def substatements(draw, version: str = "1.0.3") -> dict:
    """Data 2.4.4.3.s8: objectType SubStatement; no id/stored/version/authority; no nesting.

    A SubStatement MAY have a future timestamp (Data 2.4.7.s3.b5), a result, a context and
    attachments.
    """
    kind = draw(
        _one_of_values(("Activity", "Activity", "Interaction", "Agent", "Group", "StatementRef"))
    )
    sub: dict = {
        "objectType": "SubStatement",
        "actor": draw(actors()),
        "verb": draw(verbs()),
        "object": draw(_statement_object(kind, version)),
    }
    if draw(_int(0, 2)) == 0:
        sub["result"] = draw(results())
    if draw(_int(0, 2)) == 0:
        sub["context"] = draw(
            contexts(version, object_is_activity=kind in ("Activity", "Interaction"))
        )
    if draw(_int(0, 2)) == 0:
        sub["timestamp"] = draw(_ANY_TIMESTAMP)
    if draw(_int(0, 5)) == 0:
        sub["attachments"] = draw(_list_of(attachments(), 1, 2))
    return sub


@cache
def statement_versions(version: str) -> st.SearchStrategy[str]:
    """Data 2.4.10: "1.0.x" in both; "2.0.x" only in 2.0 requests."""
    ones = st.sampled_from(("1.0.0", "1.0.3", "1.0.1"))
    return (
        st.one_of(ones, st.sampled_from(("2.0.0", "2.0.1"))) if version.startswith("2.") else ones
    )


@cache
@st.composite
def statements(draw, version: str = "1.0.3") -> dict:
    """A valid statement for a request of the given xAPI version ("1.0.3" or "2.0.0")."""
    assert version in VERSIONS, version
    kind = draw(_one_of_values((*_OBJECT_KINDS, "Voiding")))
    statement: dict = {}
    if draw(_int(0, 2)) > 0:
        statement["id"] = draw(uuids())
    statement["actor"] = draw(actors())
    if kind == "Voiding":  # Data 2.3.2: a voiding statement's object is a StatementRef
        statement["verb"] = draw(verbs(verb_id=VOIDED))
        statement["object"] = draw(statement_refs())
        kind = "StatementRef"
    else:
        statement["verb"] = draw(verbs())
        statement["object"] = draw(_statement_object(kind, version))
    if draw(_int(0, 2)) == 0:
        statement["result"] = draw(results())
    if draw(_int(0, 1)) == 0:
        statement["context"] = draw(
            contexts(version, object_is_activity=kind in ("Activity", "Interaction"))
        )
    if draw(_BOOL):
        statement["timestamp"] = draw(timestamps())
    if draw(_int(0, 3)) == 0:
        statement["stored"] = draw(timestamps())
    if draw(_int(0, 3)) == 0:
        statement["authority"] = draw(authorities())
    if draw(_int(0, 3)) == 0:
        statement["version"] = draw(statement_versions(version))
    if draw(_int(0, 4)) == 0:
        statement["attachments"] = draw(_list_of(attachments(), 1, 2))
    if draw(_int(0, 3)) == 0:  # Data 2.2.s2.b4: properties in any order
        items = list(statement.items())
        order = draw(st.permutations(range(len(items))))
        statement = dict(items[i] for i in order)
    return statement


@cache
def versioned_statements() -> st.SearchStrategy[tuple[str, dict]]:
    """(version, statement) pairs over both versions."""
    return st.sampled_from(VERSIONS).flatmap(lambda v: statements(v).map(lambda s: (v, s)))
