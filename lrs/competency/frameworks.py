"""Framework import: a CASE 1.0/1.1 ``CFPackage`` or the simple JSON/CSV form,
normalised into the payload of ``competency.framework.imported``.

Pure: bytes in, a plain-JSON payload out, or a BadRequest naming the property path
and the rule it breaks. The uploaded original is kept apart (a blob, by SHA-256).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson

from lrs.errors import BadRequest
from lrs.xapi.value_formats import is_iri

RELATION_TYPES = ("precedes", "exactMatchOf", "isRelatedTo", "isPartOf")
SIMPLE_COLUMNS = ("id", "parent", "name", "code", "mastery_threshold")

# Told (items normalised, items in the upload) as the items are read: an operator's
# progress bar for a large framework (`lrs competency import`).
Progress = Callable[[int, int], None]
STEP = 500  # items between two reports


def _quiet(done: int, total: int) -> None:
    pass


class InvalidFramework(BadRequest):
    code = "invalid_framework"


def _fail(path: str, rule: str) -> InvalidFramework:
    return InvalidFramework(f"framework {path}: {rule}")


@functools.cache
def _case_validator() -> Any:
    schema = json.loads(resources.files("lrs.competency").joinpath("case_schema.json").read_text())
    return jsonschema_rs.validator_for(schema)


def _path(parts: list[Any]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def parse(content: bytes, media_type: str = "application/json", *, framework_id: str | None = None,
          title: str | None = None, progress: Progress = _quiet) -> dict[str, Any]:
    """The normalised framework of an upload (CASE CFPackage, simple JSON or CSV)."""
    if media_type in ("text/csv", "application/csv"):
        return _simple_csv(content, framework_id, title, progress)
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise _fail("$", f"is not JSON ({exc})") from None
    if isinstance(document, dict) and "CFDocument" in document:
        return case_package(document, progress)
    if isinstance(document, dict) and "CFPackage" in document and isinstance(document["CFPackage"], dict):
        return case_package(document["CFPackage"], progress)  # some exports wrap the package
    return simple(document, framework_id, title, progress)


def _reporting(total: int, progress: Progress) -> Callable[[int], None]:
    """Reports every STEP items and the last one."""
    progress(0, total)

    def step(index: int) -> None:
        if (index + 1) % STEP == 0 or index + 1 == total:
            progress(index + 1, total)

    return step


def case_package(package: Any, progress: Progress = _quiet) -> dict[str, Any]:
    errors = list(_case_validator().iter_errors(package))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise _fail(_path(list(first.instance_path)), f"{first.message} (CASE 1.1 CFPackage schema){more}")
    doc = package["CFDocument"]
    framework_id = doc["uri"]
    if not is_iri(framework_id):
        raise _fail("$.CFDocument.uri", "must be an IRI")
    items: list[dict[str, Any]] = []
    by_identifier: dict[str, str] = {}
    seen: set[str] = set()
    listed = package.get("CFItems") or []
    report = _reporting(len(listed), progress)
    for index, item in enumerate(listed):
        if not is_iri(item["uri"]):
            raise _fail(f"$.CFItems[{index}].uri", "must be an IRI")
        if item["uri"] in seen:
            raise _fail(f"$.CFItems[{index}].uri", f"{item['uri']} is listed twice")
        seen.add(item["uri"])
        by_identifier[item["identifier"]] = item["uri"]
        items.append({
            "iri": item["uri"], "code": item.get("humanCodingScheme") or "", "name": item["fullStatement"],
            "parent_iri": None, "type": item.get("CFItemType") or "", "mastery_threshold": None,
        })
        report(index)
    known = {item["iri"] for item in items}
    parents: dict[str, str] = {}
    relations: list[dict[str, str]] = []
    for index, association in enumerate(package.get("CFAssociations") or []):
        kind = association["associationType"]
        source = _node(association["originNodeURI"], by_identifier)
        target = _node(association["destinationNodeURI"], by_identifier)
        if kind == "isChildOf":
            # A child of the document itself is a top-level item.
            if source in known and target in known:
                if source in parents and parents[source] != target:
                    raise _fail(f"$.CFAssociations[{index}]", f"item {source} is a child of two items")
                parents[source] = target
        elif kind in RELATION_TYPES and source in known:
            relations.append({"source": source, "target": target, "type": kind})
    for item in items:
        item["parent_iri"] = parents.get(item["iri"])
    _no_cycle(items)
    return {
        "framework_id": framework_id,
        "format": "case-1.1" if doc.get("caseVersion") == "1.1" else "case-1.0",
        "title": doc["title"], "version": doc.get("version") or "",
        "items": items, "relations": _unique_relations(relations), "scale": _rubric_scale(package),
    }


def _node(link: dict[str, Any], by_identifier: dict[str, str]) -> str:
    return by_identifier.get(link["identifier"], link["uri"])


def _rubric_scale(package: dict[str, Any]) -> list[dict[str, Any]]:
    """CFRubricCriterionLevels by score (else position), normalised by the top score."""
    levels: list[tuple[float, str]] = []
    for rubric in package.get("CFRubrics") or []:
        for criterion in rubric.get("CFRubricCriteria") or []:
            for level in criterion.get("CFRubricCriterionLevels") or []:
                score = level.get("score", level.get("position"))
                label = level.get("quality") or level.get("description") or ""
                if isinstance(score, int | float) and label:
                    levels.append((float(score), label))
    top = max((score for score, _ in levels), default=0.0)
    if top <= 0:
        return []
    bands: dict[str, float] = {}
    for score, label in sorted(levels):
        bands.setdefault(label, max(0.0, score / top))
    return [{"label": label, "min_score": value} for label, value in sorted(bands.items(), key=lambda b: (b[1], b[0]))]


def simple(document: Any, framework_id: str | None, title: str | None, progress: Progress = _quiet) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise _fail("$", "must be a CASE CFPackage or a simple framework object {id, title, items}")
    framework_id = document.get("id", framework_id)
    if not isinstance(framework_id, str) or not is_iri(framework_id):
        raise _fail("$.id", "must be an IRI naming the framework")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise _fail("$.items", "must be an array of {id, parent, name, code, mastery_threshold}")
    report = _reporting(len(raw_items), progress)
    items = []
    for i, row in enumerate(raw_items):
        items.append(_simple_item(row, f"$.items[{i}]"))
        report(i)
    scale = document.get("scale") or []
    if not isinstance(scale, list):
        raise _fail("$.scale", "must be an array of {label, min_score}")
    bands = []
    for i, band in enumerate(scale):
        if not isinstance(band, dict) or not isinstance(band.get("label"), str):
            raise _fail(f"$.scale[{i}].label", "must be a string")
        value = band.get("min_score")
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise _fail(f"$.scale[{i}].min_score", "must be a number from 0 to 1")
        bands.append({"label": band["label"], "min_score": float(value)})
    relations = []
    for i, relation in enumerate(document.get("relations") or []):
        if not isinstance(relation, dict) or relation.get("type") not in RELATION_TYPES:
            raise _fail(f"$.relations[{i}].type", f"must be one of {', '.join(RELATION_TYPES)}")
        for end in ("source", "target"):
            if not isinstance(relation.get(end), str) or not is_iri(relation[end]):
                raise _fail(f"$.relations[{i}].{end}", "must be an IRI")
        relations.append({"source": relation["source"], "target": relation["target"], "type": relation["type"]})
    found_title = document.get("title", title) or ""
    if not isinstance(found_title, str):
        raise _fail("$.title", "must be a string")
    return _checked({
        "framework_id": framework_id, "format": "simple", "title": found_title,
        "version": str(document.get("version") or ""), "items": items,
        "relations": _unique_relations(relations), "scale": sorted(bands, key=lambda b: (b["min_score"], b["label"])),
    })


def _simple_item(row: Any, path: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise _fail(path, "must be an object")
    iri = row.get("id")
    if not isinstance(iri, str) or not is_iri(iri):
        raise _fail(f"{path}.id", "must be an IRI")
    parent = row.get("parent") or None
    if parent is not None and (not isinstance(parent, str) or not is_iri(parent)):
        raise _fail(f"{path}.parent", "must be an IRI of another item, or empty")
    threshold = row.get("mastery_threshold")
    if threshold in ("", None):
        threshold = None
    else:
        try:
            threshold = float(threshold)
        except (TypeError, ValueError):
            raise _fail(f"{path}.mastery_threshold", "must be a number from 0 to 1") from None
        if not 0 <= threshold <= 1:
            raise _fail(f"{path}.mastery_threshold", "must be a number from 0 to 1")
    for name in ("name", "code"):
        if not isinstance(row.get(name, ""), str):
            raise _fail(f"{path}.{name}", "must be a string")
    return {
        "iri": iri, "code": row.get("code") or "", "name": row.get("name") or "", "parent_iri": parent,
        "type": "", "mastery_threshold": threshold,
    }


def _simple_csv(content: bytes, framework_id: str | None, title: str | None, progress: Progress) -> dict[str, Any]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail("$", "CSV must be UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise _fail("header", f"needs the columns {', '.join(SIMPLE_COLUMNS)} (missing {', '.join(missing)})")
    rows = [dict(row) for row in reader]
    if framework_id is None:
        raise _fail("id", "a CSV framework needs its id (the `framework` parameter, an IRI)")
    return simple({"id": framework_id, "title": title or "", "items": rows}, framework_id, title, progress)


def _checked(framework: dict[str, Any]) -> dict[str, Any]:
    seen: set[str] = set()
    for i, item in enumerate(framework["items"]):
        if item["iri"] in seen:
            raise _fail(f"$.items[{i}].id", f"{item['iri']} is listed twice")
        seen.add(item["iri"])
    for i, item in enumerate(framework["items"]):
        if item["parent_iri"] is not None and item["parent_iri"] not in seen:
            raise _fail(f"$.items[{i}].parent", f"{item['parent_iri']} is not an item of this framework")
    for i, relation in enumerate(framework["relations"]):
        if relation["source"] not in seen:
            raise _fail(f"$.relations[{i}].source", f"{relation['source']} is not an item of this framework")
    _no_cycle(framework["items"])
    return framework


def _no_cycle(items: list[dict[str, Any]]) -> None:
    parent = {item["iri"]: item["parent_iri"] for item in items}
    for start in parent:
        seen, node = set(), start
        while node is not None:
            if node in seen:
                raise _fail("items", f"the parent chain of {start} loops")
            seen.add(node)
            node = parent.get(node)


def _unique_relations(relations: list[dict[str, str]]) -> list[dict[str, str]]:
    unique = {(r["source"], r["target"], r["type"]): r for r in relations}
    return [unique[key] for key in sorted(unique)]
