"""ESCO to competency configuration (design §2, "ESCO"): the skills of chosen
occupations (or of a collection) become a simple framework, and each occupation's
skill relations a role profile, ``essential`` and ``optional`` as the importance.

Pure: the CSV files of an ESCO download in, the bodies that ``lrs competency import``
and ``roles`` take out, or a BadRequest naming the file, the row and the column.
Columns used (ESCO CSV downloads, v1.1 and later): ``skills_*.csv`` conceptUri,
preferredLabel; ``occupationSkillRelations_*.csv`` occupationUri, relationType,
skillUri; ``occupations_*.csv`` conceptUri, preferredLabel, code; a collection
(e.g. ``digitalSkillsCollection_*.csv``) conceptUri.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from lrs.errors import BadRequest
from lrs.xapi.value_formats import is_iri

IMPORTANCE = ("essential", "optional")


class InvalidEsco(BadRequest):
    code = "invalid_esco"


def _rows(name: str, content: bytes, columns: Iterable[str]) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidEsco(f"{name}: must be UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidEsco(f"{name}: needs the column(s) {', '.join(missing)}")
    return list(reader)


def role_id(occupation_uri: str) -> str:
    """A role id usable in a URL path: ``esco-`` and the URI's last segment."""
    return "esco-" + occupation_uri.rstrip("/").rsplit("/", 1)[-1]


def convert(skills: bytes, relations: bytes, *, occupations: list[str], collection: bytes | None = None,
            occupation_names: bytes | None = None, framework_id: str, title: str,
            min_level: float | str = 0.7) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the simple framework body, role id -> role body)."""
    if not is_iri(framework_id):
        raise InvalidEsco(f"framework {framework_id!r}: must be an IRI")
    labels = {}
    for n, row in enumerate(_rows("skills", skills, ("conceptUri", "preferredLabel")), start=2):
        if not is_iri(row["conceptUri"] or ""):
            raise InvalidEsco(f"skills row {n}, conceptUri: must be an IRI")
        labels[row["conceptUri"]] = row["preferredLabel"] or ""
    related: dict[str, list[tuple[str, str]]] = {}
    for n, row in enumerate(_rows("relations", relations, ("occupationUri", "relationType", "skillUri")), start=2):
        if row["relationType"] not in IMPORTANCE:
            raise InvalidEsco(f"relations row {n}, relationType: must be essential or optional")
        related.setdefault(row["occupationUri"], []).append((row["skillUri"], row["relationType"]))
    names = {}
    if occupation_names is not None:
        for row in _rows("occupations", occupation_names, ("conceptUri", "preferredLabel")):
            names[row["conceptUri"]] = row["preferredLabel"] or row["conceptUri"]
    chosen: dict[str, None] = {}  # skill URIs in first-seen order
    roles = {}
    for occupation in occupations:
        requirements = [(skill, kind) for skill, kind in related.get(occupation, []) if skill in labels]
        if not requirements:
            raise InvalidEsco(f"occupation {occupation}: has no skill relations to skills of the skills file")
        roles[role_id(occupation)] = {
            "name": names.get(occupation, occupation), "source": occupation,
            "requirements": [{"competency": skill, "min_level": min_level, "importance": kind}
                             for skill, kind in _unique(requirements)],
        }
        chosen.update((skill, None) for skill, _ in requirements)
    if collection is not None:
        for n, row in enumerate(_rows("collection", collection, ("conceptUri",)), start=2):
            if row["conceptUri"] not in labels:
                raise InvalidEsco(f"collection row {n}, conceptUri: {row['conceptUri']} is not in the skills file")
            chosen[row["conceptUri"]] = None
    if not chosen:
        raise InvalidEsco("nothing to convert: name at least one occupation or a collection")
    framework = {"id": framework_id, "title": title,
                 "items": [{"id": skill, "name": labels[skill]} for skill in chosen]}
    return framework, roles


def _unique(requirements: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One requirement per skill; essential wins over optional."""
    found: dict[str, str] = {}
    for skill, kind in requirements:
        if found.get(skill) != "essential":
            found[skill] = kind
    return list(found.items())
