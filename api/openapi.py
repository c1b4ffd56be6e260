"""What the OpenAPI schema says about the API, beyond what FastAPI sees by itself.

The xAPI routers read their query strings, headers and bodies themselves: the
parsers in ``lrs/xapi`` check them as the specification asks, answer 400s that name
the rule, and keep Pydantic off the statement hot path. FastAPI therefore sees no
parameters or bodies to describe there, so this module describes them: every query
parameter, header, request body, answer and answer header of each xAPI resource,
and the answers FastAPI cannot know of on the views and the admin API.
``describe`` merges it all into the schema FastAPI generates (``api.app``).
"""

from __future__ import annotations

from typing import Any

from lrs.xapi.params import MAX_INTEGER

JSON = "application/json"
Schema = dict[str, Any]


def _ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


# ------------------------------------------------------------------ value schemas

_UUID = {"type": "string", "format": "uuid", "example": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}
# The patterns mirror lrs/xapi/value_formats.py closely enough that values generated from
# them (by a fuzzer, say) pass; the LRS's own checks stay the authority.
_IRI_PATTERN = r'^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`\x00-\x1f\x7f\x85\xa0]+$'
_MEDIA_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"
_IRI = {"type": "string", "format": "iri", "pattern": _IRI_PATTERN, "example": "http://example.com/courses/intro"}
_TIMESTAMP = {
    "type": "string", "format": "date-time", "example": "2026-03-02T10:00:00.000Z",
    "description": "ISO 8601 with a time zone, as RFC 3339 writes it (Data 4.5)",
}
_POSITION = {"type": "integer", "minimum": 0, "maximum": MAX_INTEGER}
_AS_OF = {
    "description": "This LRS's extension: the document as it stood at that log position "
    f"(an integer from 0 to {MAX_INTEGER}) or that timestamp. Needs the document id.",
    "schema": {"anyOf": [_POSITION, {"type": "string", "format": "date-time"}]},
    "example": "2026-03-02T10:00:00Z",
}

_STATEMENT_EXAMPLE = {
    "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {
        "objectType": "Activity",
        "id": "http://example.com/courses/intro",
        "definition": {"name": {"en-US": "Introduction"}},
    },
    "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
    "timestamp": "2026-03-02T10:00:00.000Z",
}
_STORED_EXAMPLE = {
    **_STATEMENT_EXAMPLE,
    "stored": "2026-03-02T10:00:01.250000Z",
    "authority": {
        "objectType": "Agent", "name": "Course player",
        "account": {"homePage": "https://lrs.example.com", "name": "3f1c0a"},
    },
    "version": "1.0.0",
}
_MULTIPART_EXAMPLE = (
    "--abc123\r\nContent-Type: application/json\r\n\r\n"
    '{"actor": {"mbox": "mailto:ann@example.com"}, '
    '"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, '
    '"object": {"id": "http://example.com/courses/intro"}, '
    '"attachments": [{"usageType": "http://example.com/usage/certificate", '
    '"display": {"en-US": "Certificate"}, "contentType": "text/plain", "length": 11, '
    '"sha2": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"}]}\r\n'
    "--abc123\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
    "X-Experience-API-Hash: b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\r\n"
    "\r\nhello world\r\n--abc123--\r\n"
)

_LANGUAGE_MAP = {
    "type": "object",
    "propertyNames": {"pattern": "^[a-z]{2}(-[A-Z]{2})?$"},
    "additionalProperties": {"type": "string"},
    "description": "RFC 5646 language tag -> text (Data 4.2)",
    "example": {"en-US": "completed"},
}
_IFI_PROPERTIES: Schema = {
    "name": {"type": "string"},
    "mbox": {"type": "string", "pattern": "^mailto:[^@\\s]+@[^@\\s]+$",
             "example": "mailto:ann@example.com"},
    "mbox_sha1sum": {"type": "string", "pattern": "^[0-9a-fA-F]{40}$"},
    "openid": {"type": "string", "pattern": _IRI_PATTERN},
    "account": {
        "type": "object",
        "required": ["homePage", "name"],
        "properties": {"homePage": {"type": "string", "pattern": _IRI_PATTERN},
                       "name": {"type": "string", "minLength": 1}},
        "additionalProperties": False,
    },
}
_ONE_IFI = [{"required": [ifi]} for ifi in ("mbox", "mbox_sha1sum", "openid", "account")]
_AGENT = {
    "type": "object",
    "description": "An Agent (Data 2.4.2.1): a name and exactly one identifier",
    "properties": {"objectType": {"type": "string", "enum": ["Agent"]}, **_IFI_PROPERTIES},
    "oneOf": _ONE_IFI,
    "additionalProperties": False,
    "example": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
}
_GROUP = {
    "type": "object",
    "description": "A Group (Data 2.4.2.2): identified by one identifier, or anonymous "
    "with its members",
    "required": ["objectType"],
    "properties": {
        "objectType": {"type": "string", "enum": ["Group"]},
        **_IFI_PROPERTIES,
        "member": {"type": "array", "items": _ref("schemas", "Agent")},
    },
    "additionalProperties": False,
}
_ACTOR = {"anyOf": [_ref("schemas", "Agent"), _ref("schemas", "Group")]}
_ACTIVITY = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "objectType": {"type": "string", "enum": ["Activity"]},
        "id": _IRI,
        "definition": {
            "type": "object",
            "properties": {
                "name": _LANGUAGE_MAP, "description": _LANGUAGE_MAP,
                "type": {"type": "string", "pattern": _IRI_PATTERN},
                "moreInfo": {"type": "string", "pattern": _IRI_PATTERN},
                "extensions": {"type": "object"},
            },
        },
    },
    "additionalProperties": False,
}
_STATEMENT_OBJECT = {
    "description": "An Activity (the default), Agent, Group, SubStatement or StatementRef",
    "anyOf": [
        _ref("schemas", "Activity"),
        _ref("schemas", "Agent"),
        _ref("schemas", "Group"),
        {
            "type": "object", "required": ["objectType", "id"],
            "properties": {"objectType": {"type": "string", "enum": ["StatementRef"]}, "id": _UUID},
            "additionalProperties": False,
        },
        {
            "type": "object", "required": ["objectType", "actor", "verb", "object"],
            "properties": {"objectType": {"type": "string", "enum": ["SubStatement"]}},
        },
    ],
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "A short code", "example": "invalid_parameter"},
            "message": {"type": "string", "example": "parameter 'limit': must be a non-negative integer"},
            "parameter": {"type": "string", "description": "The offending query parameter"},
            "path": {"type": "string", "description": "The offending statement property"},
            "rule": {"type": "string", "description": "The rule it breaks"},
            "problems": {"type": "array", "items": {"type": "object"}},
            "requestId": {"type": "string", "description": "With a 500: quote it in a bug report"},
        },
    },
    "Agent": _AGENT,
    "Group": _GROUP,
    "Activity": _ACTIVITY,
    "Statement": {
        "type": "object",
        "description": "An xAPI Statement (Data 2.4). The LRS checks every rule of xAPI "
        "Data and answers 400 naming the property and the rule it breaks.",
        "required": ["actor", "verb", "object"],
        "properties": {
            "id": {**_UUID, "description": "Set by the LRS when absent"},
            "actor": _ACTOR,
            "verb": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": _IRI, "display": _LANGUAGE_MAP},
                "additionalProperties": False,
            },
            "object": _STATEMENT_OBJECT,
            "result": {
                "type": "object",
                "properties": {
                    "score": {
                        "type": "object",
                        "properties": {
                            "scaled": {"type": "number", "minimum": -1, "maximum": 1},
                            "raw": {"type": "number"}, "min": {"type": "number"}, "max": {"type": "number"},
                        },
                    },
                    "success": {"type": "boolean"},
                    "completion": {"type": "boolean"},
                    "response": {"type": "string"},
                    "duration": {"type": "string", "example": "PT1H30M"},
                    "extensions": {"type": "object"},
                },
            },
            "context": {"type": "object"},
            "timestamp": _TIMESTAMP,
            "stored": {**_TIMESTAMP, "description": "Set by the LRS"},
            "authority": _ACTOR,
            "version": {"type": "string", "example": "1.0.0"},
            "attachments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["usageType", "display", "contentType", "length", "sha2"],
                    "properties": {
                        "usageType": {"type": "string", "pattern": _IRI_PATTERN},
                        "display": _LANGUAGE_MAP, "description": _LANGUAGE_MAP,
                        "contentType": {"type": "string", "pattern": _MEDIA_TYPE_PATTERN,
                                        "example": "text/plain"},
                        "length": {"type": "integer", "minimum": 0},
                        "sha2": {"type": "string"}, "fileUrl": {"type": "string"},
                    },
                },
            },
        },
        "additionalProperties": False,
        "example": _STATEMENT_EXAMPLE,
    },
    "StatementResult": {
        "type": "object",
        "required": ["statements", "more"],
        "properties": {
            "statements": {"type": "array", "items": _ref("schemas", "Statement")},
            "more": {
                "type": "string",
                "description": "The URL of the next page, or an empty string on the last page",
                "example": "/xapi/statements?more=eyJhZnRlciI6MTIsImJvdW5kIjo0Mn0",
            },
        },
        "example": {"statements": [_STORED_EXAMPLE], "more": ""},
    },
    "Person": {
        "type": "object",
        "description": "Everything this LRS knows of the Agent's identifier (Communication 2.4)",
        "required": ["objectType"],
        "properties": {
            "objectType": {"type": "string", "enum": ["Person"]},
            "name": {"type": "array", "items": {"type": "string"}},
            "mbox": {"type": "array", "items": {"type": "string"}},
            "mbox_sha1sum": {"type": "array", "items": {"type": "string"}},
            "openid": {"type": "array", "items": {"type": "string"}},
            "account": {"type": "array", "items": {"type": "object"}},
        },
        "example": {
            "objectType": "Person", "name": ["Ann"], "mbox": ["mailto:ann@example.com"],
            "mbox_sha1sum": ["ae1e3e6b4f5a2cc5c9d2f0cb22b4b5ac9d4e9df2"],
        },
    },
    "About": {
        "type": "object",
        "required": ["version"],
        "properties": {
            "version": {"type": "array", "items": {"type": "string"}},
            "extensions": {"type": "object"},
        },
        "example": {
            "version": ["2.0.0", "1.0.3"],
            "extensions": {"urn:x-lrs:about:software": {"name": "lrs", "version": "0.1.0"}},
        },
    },
}

# ------------------------------------------------------------------------ headers

HEADERS: dict[str, Schema] = {
    "Version": {
        "description": "The xAPI version the request was served with (Communication 3.3)",
        "schema": {"type": "string", "example": "2.0.0"},
    },
    "ConsistentThrough": {
        "description": "Every statement stored up to this time is in query results "
        "(Communication 2.1.3)",
        "schema": {"type": "string", "format": "date-time"},
    },
    "LastModified": {"description": "When it last changed (RFC 7232)", "schema": {"type": "string"}},
    "ETag": {
        "description": "The quoted SHA-1 of the content: send it back in If-Match (Communication 3.1)",
        "schema": {"type": "string", "example": '"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"'},
    },
    "Position": {
        "description": "This LRS's extension: the log position of the write. A view "
        "request with minPosition set to it sees the write.",
        "schema": _POSITION,
    },
    "WWWAuthenticate": {
        "description": "The challenge: Basic, or Bearer for a refused token (RFC 7235, RFC 6750)",
        "schema": {"type": "string"},
    },
    "RetryAfter": {"description": "Seconds to wait", "schema": {"type": "integer"}},
}

# --------------------------------------------------------------------- responses


def _error(description: str, **headers: str) -> Schema:
    out: Schema = {"description": description, "content": {JSON: {"schema": _ref("schemas", "Error")}}}
    if headers:
        out["headers"] = {name: _ref("headers", ref) for name, ref in headers.items()}
    return out


RESPONSES: dict[str, Schema] = {
    "BadRequest": _error(
        "The request breaks a rule: the body names the parameter, header or property and "
        "the rule (unknown, repeated or malformed parameters, invalid statements...)"
    ),
    "Unauthorized": _error(
        "Missing or wrong credentials, or a refused token (Communication 4.0)",
        **{"WWW-Authenticate": "WWWAuthenticate"},
    ),
    "Forbidden": _error("The credential lacks the scope for this request (Communication 4.2)"),
    "NotFound": _error("No such statement or document"),
    "Conflict": _error("The request conflicts with what is stored (Communication 3.1, 2.1.1)"),
    "PreconditionFailed": _error("If-Match or If-None-Match does not hold (Communication 3.1)"),
    "PayloadTooLarge": _error(
        "The body, or the number of statements, is over this LRS's limit "
        "(LRS_MAX_BODY_BYTES, LRS_MAX_STATEMENTS_PER_REQUEST)"
    ),
    "TooManyRequests": _error(
        "The credential's rate limit is spent (LRS_RATE_LIMIT_PER_SECOND)",
        **{"Retry-After": "RetryAfter"},
    ),
    "Unavailable": _error("The LRS cannot answer now (the log's lock is busy, a view lags): retry"),
}
_STATUS_REFS = {
    "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
    "409": "Conflict", "412": "PreconditionFailed", "413": "PayloadTooLarge",
    "429": "TooManyRequests", "503": "Unavailable",
}


def _errors(*statuses: str) -> dict[str, Schema]:
    return {status: _ref("responses", _STATUS_REFS[status]) for status in statuses}


def _headers(*names: str) -> dict[str, Schema]:
    refs = {
        "X-Experience-API-Version": "Version",
        "X-Experience-API-Consistent-Through": "ConsistentThrough",
        "Last-Modified": "LastModified",
        "ETag": "ETag",
        "X-LRS-Position": "Position",
    }
    return {name: _ref("headers", refs[name]) for name in names}


# -------------------------------------------------------------------- parameters


def _json_query(name: str, description: str, schema: Schema, *, required: bool = False) -> Schema:
    """A parameter whose value is JSON (an Agent): OpenAPI says so with ``content``."""
    return {
        "name": name, "in": "query", "required": required, "description": description,
        "content": {JSON: {"schema": schema, "example": {"mbox": "mailto:ann@example.com"}}},
    }


def _query(name: str, description: str, schema: Schema, *, required: bool = False,
           example: Any = None) -> Schema:
    out: Schema = {"name": name, "in": "query", "required": required, "description": description,
                   "schema": schema}
    if example is not None:
        out["example"] = example
    return out


PARAMETERS: dict[str, Schema] = {
    "Version": {
        "name": "X-Experience-API-Version",
        "in": "header",
        "required": True,
        "description": "The xAPI version the client speaks: 1.0.x is served as 1.0.3, 2.0.x "
        "as 2.0.0 (Communication 3.3). /xapi/about alone does without it.",
        "schema": {"type": "string", "pattern": "^[12][.]0([.][0-9]+)?$", "example": "2.0.0"},
    },
    "AcceptLanguage": {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "description": "Languages to keep in language maps with format=canonical (RFC 7231 5.3.5)",
        "schema": {"type": "string", "example": "en-US, fr;q=0.5"},
    },
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "Write or delete only if the document's ETag is this one (Communication 3.1)",
        "schema": {"type": "string", "example": '"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"'},
    },
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "'*': write only if the document does not exist yet (Communication 3.1)",
        "schema": {"type": "string", "example": "*"},
    },
}
_VERSION = _ref("parameters", "Version")
_IF = [_ref("parameters", "IfMatch"), _ref("parameters", "IfNoneMatch")]

_BOOLEAN = {"type": "boolean", "default": False}
_STATEMENT_QUERY = [
    _query("statementId", "The statement with this id; only format and attachments go with "
           "it (Communication 2.1.3)", _UUID),
    _query("voidedStatementId", "The voided statement with this id", _UUID),
    _json_query("agent", "Statements whose actor or object is this Agent or identified Group "
                "(with related_agents, anywhere in them)", _ACTOR),
    _query("verb", "Statements with this verb id", _IRI),
    _query("activity", "Statements whose object is this Activity (with related_activities, "
           "anywhere in them)", _IRI),
    _query("registration", "Statements of this registration", _UUID),
    _query("related_activities", "Match activity anywhere in a statement", _BOOLEAN),
    _query("related_agents", "Match agent anywhere in a statement", _BOOLEAN),
    _query("since", "Statements stored after this time (exclusive)", _TIMESTAMP),
    _query("until", "Statements stored at or before this time", _TIMESTAMP),
    _query("limit", "Most statements in a page; 0 or more than LRS_STATEMENTS_PAGE_MAX means "
           "that maximum", {**_POSITION, "default": 0}),
    _query("format", "ids: identifiers only; exact: as stored; canonical: language maps "
           "reduced to the Accept-Language", {"type": "string", "enum": ["ids", "exact", "canonical"],
                                              "default": "exact"}),
    _query("attachments", "Answer multipart/mixed with the attachments' data (Communication 1.5.2)",
           _BOOLEAN),
    _query("ascending", "Oldest first", _BOOLEAN),
    _query("more", "The next page: the token in the previous page's more URL. It carries the "
           "whole query, so it is sent alone.", {"type": "string"}),
]


def _document_parameters(kind: str, method: str) -> list[Schema]:
    """Communication 2.3 (State), 2.6 (Agent Profile), 2.7 (Activity Profile)."""
    doc_id = "stateId" if kind == "state" else "profileId"
    reads = method == "get"
    params: list[Schema] = []
    if kind in ("state", "activity_profile"):
        params.append(_query("activityId", "The Activity the document belongs to", _IRI, required=True))
    if kind in ("state", "agent_profile"):
        params.append(_json_query("agent", "The Agent the document belongs to", _ref("schemas", "Agent"),
                                  required=True))
    if kind == "state":
        params.append(_query("registration", "The registration the document belongs to", _UUID))
    id_required = method in ("put", "post") or (method == "delete" and kind != "state")
    if reads:
        what = "The document to get; without it, the ids of the documents here"
    elif method == "delete":
        what = "The document to delete" + ("; without it, every State document here" if kind == "state" else "")
    else:
        what = "The document's id"
    params.append(_query(doc_id, what, {"type": "string", "example": "bookmark"}, required=id_required))
    if reads:
        params.append(_query("since", f"Only ids of documents stored after this time; not with {doc_id}",
                             _TIMESTAMP))
        params.append({"name": "asOf", "in": "query", "required": False, **_AS_OF})
    return [_VERSION, *params, *(_IF if method != "get" else [])]


_DOCUMENT_BODY = {
    "required": False,
    "description": "Any content type. POST merges a JSON object into a stored JSON object "
    "(Communication 2.2); PUT replaces the document.",
    "content": {
        JSON: {"schema": {"type": "object"}, "example": {"bookmark": "page-12", "progress": 0.4}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "text/plain": {"schema": {"type": "string"}},
    },
}


_RESOURCE_SECTIONS = {"state": "2.3", "agent_profile": "2.6", "activity_profile": "2.7"}


def _document_operations(kind: str, path: str) -> dict[tuple[str, str], Schema]:
    section = f"Communication 2.2, {_RESOURCE_SECTIONS[kind]}"
    written = {
        "description": "Stored",
        "headers": _headers("X-Experience-API-Version", "ETag", "X-LRS-Position"),
    }
    return {
        (path, "get"): {
            "description": f"A document as it was stored, or the ids of the documents here ({section}).",
            "parameters": _document_parameters(kind, "get"),
            "responses": {
                "200": {
                    "description": "The document as it was stored, with its Content-Type; or, "
                    "without a document id, a JSON array of the ids here",
                    "headers": _headers("X-Experience-API-Version", "ETag", "Last-Modified"),
                    "content": {
                        JSON: {
                            "schema": {},
                            "examples": {
                                "document": {"value": {"bookmark": "page-12", "progress": 0.4}},
                                "ids": {"value": ["bookmark", "preferences"]},
                            },
                        },
                        "*/*": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                **_errors("400", "401", "403", "404", "429"),
            },
        },
        (path, "put"): {
            "description": f"Store the document, replacing any ({section}). Replacing one "
            "takes If-Match (its ETag) or If-None-Match: * , else 409 (Communication 3.1; "
            "xAPI 1.0.3 exempts the State resource).",
            "parameters": _document_parameters(kind, "put"),
            "requestBody": _DOCUMENT_BODY,
            "responses": {
                "204": written,
                **_errors("400", "401", "403", "409", "412", "413", "429", "503"),
            },
        },
        (path, "post"): {
            "description": f"Merge a JSON object into the stored JSON object, or store the "
            f"document if there is none ({section}).",
            "parameters": _document_parameters(kind, "post"),
            "requestBody": _DOCUMENT_BODY,
            "responses": {
                "204": written,
                **_errors("400", "401", "403", "409", "412", "413", "429", "503"),
            },
        },
        (path, "delete"): {
            "description": f"Delete the document ({section})"
            + ("; without stateId, every State document of the Agent and Activity." if kind == "state" else "."),
            "parameters": _document_parameters(kind, "delete"),
            "responses": {
                "204": {"description": "Deleted (or there was nothing to delete)",
                        "headers": _headers("X-Experience-API-Version", "X-LRS-Position")},
                **_errors("400", "401", "403", "412", "429", "503"),
            },
        },
    }


_STATEMENT_BODY_MULTIPART = {
    "schema": {
        "type": "string",
        "format": "binary",
        "description": "Statements with attachments (Communication 1.5.2): the first part is "
        "the statements as application/json, each further part one attachment's data, with "
        "its Content-Type, Content-Transfer-Encoding: binary and X-Experience-API-Hash (its "
        "sha2). The boundary is at most 70 characters (RFC 2046).",
    },
    "example": _MULTIPART_EXAMPLE,
}
_STATEMENT_WRITTEN_HEADERS = _headers(
    "X-Experience-API-Version", "X-Experience-API-Consistent-Through", "X-LRS-Position"
)

OPERATIONS: dict[tuple[str, str], Schema] = {
    ("/xapi/about", "get"): {
        "description": "The versions this LRS speaks (Communication 2.8). No credentials "
        "needed; the version header is optional here.",
        "security": [],
        "parameters": [{**PARAMETERS["Version"], "required": False}],
        "responses": {
            "200": {
                "description": "The versions and this LRS's software",
                "headers": _headers("X-Experience-API-Version"),
                "content": {JSON: {"schema": _ref("schemas", "About")}},
            },
            **_errors("400"),
        },
    },
    ("/xapi/statements", "get"): {
        "description": "One statement by id, or a page of statements matching the filters, "
        "newest stored first (Communication 2.1.3).",
        "parameters": [_VERSION, _ref("parameters", "AcceptLanguage"), *_STATEMENT_QUERY],
        "responses": {
            "200": {
                "description": "The statement (with statementId or voidedStatementId), or a "
                "StatementResult; multipart/mixed with attachments=true",
                "headers": _headers(
                    "X-Experience-API-Version", "X-Experience-API-Consistent-Through", "Last-Modified"
                ),
                "content": {
                    JSON: {
                        "schema": {"anyOf": [_ref("schemas", "StatementResult"), _ref("schemas", "Statement")]},
                        "examples": {
                            "query": {"value": {"statements": [_STORED_EXAMPLE], "more": ""}},
                            "one statement": {"value": _STORED_EXAMPLE},
                        },
                    },
                    "multipart/mixed": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            **_errors("400", "401", "403", "404", "429"),
        },
    },
    ("/xapi/statements", "put"): {
        "description": "Store one statement under the given id (Communication 2.1.1). Sending "
        "the same statement again changes nothing; another statement with that id is a 409.",
        "parameters": [
            _VERSION,
            _query("statementId", "The statement's id", _UUID, required=True),
        ],
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": _ref("schemas", "Statement"), "example": _STATEMENT_EXAMPLE},
                "multipart/mixed": _STATEMENT_BODY_MULTIPART,
            },
        },
        "responses": {
            "204": {"description": "Stored", "headers": _STATEMENT_WRITTEN_HEADERS},
            **_errors("400", "401", "403", "409", "413", "429", "503"),
        },
    },
    ("/xapi/statements", "post"): {
        "description": "Store a statement or an array of statements, all or none "
        "(Communication 2.1.2). xAPI 1.0.x clients may also send any request as a POST with "
        "method=... and a form body (Communication 1.3).",
        "parameters": [_VERSION],
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {
                        "anyOf": [
                            _ref("schemas", "Statement"),
                            {"type": "array", "items": _ref("schemas", "Statement")},
                        ]
                    },
                    "examples": {
                        "one statement": {"value": _STATEMENT_EXAMPLE},
                        "a batch": {"value": [_STATEMENT_EXAMPLE]},
                    },
                },
                "multipart/mixed": _STATEMENT_BODY_MULTIPART,
            },
        },
        "responses": {
            "200": {
                "description": "The ids of the statements, in the order sent",
                "headers": _STATEMENT_WRITTEN_HEADERS,
                "content": {
                    JSON: {
                        "schema": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                        "example": ["fd41c918-b88b-4b20-a0a5-a4c32391aaa0"],
                    }
                },
            },
            **_errors("400", "401", "403", "409", "413", "429", "503"),
        },
    },
    ("/xapi/activities", "get"): {
        "description": "The Activity with its canonical definition; an Activity the LRS has "
        "not seen is returned by its id (Communication 2.5).",
        "parameters": [_VERSION, _query("activityId", "The Activity's id", _IRI, required=True)],
        "responses": {
            "200": {
                "description": "The Activity",
                "headers": _headers("X-Experience-API-Version", "ETag"),
                "content": {JSON: {"schema": _ref("schemas", "Activity")}},
            },
            **_errors("400", "401", "403", "429"),
        },
    },
    ("/xapi/agents", "get"): {
        "description": "The Person object of an Agent: the names and identifiers this LRS "
        "knows for it (Communication 2.4).",
        "parameters": [_VERSION, _json_query("agent", "The Agent", _ref("schemas", "Agent"), required=True)],
        "responses": {
            "200": {
                "description": "The Person",
                "headers": _headers("X-Experience-API-Version", "ETag"),
                "content": {JSON: {"schema": _ref("schemas", "Person")}},
            },
            **_errors("400", "401", "403", "429"),
        },
    },
    **_document_operations("state", "/xapi/activities/state"),
    **_document_operations("activity_profile", "/xapi/activities/profile"),
    **_document_operations("agent_profile", "/xapi/agents/profile"),
}

# ------------------------------------------------------------ views and admin API

# The views' parameters come from their Query() declarations; these say the rest.
_VIEW_PARAMETERS: dict[str, Schema] = {
    "activityId": {"schema": _IRI},
    "registration": {"description": "Only this registration", "schema": _UUID},
    "since": {"description": "Only records with activity after this time", "schema": _TIMESTAMP},
    "until": {"description": "Only records with activity at or before this time", "schema": _TIMESTAMP},
    "limit": {"description": "Page size", "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                                     "default": 100}},
    "offset": {"description": "Records to skip", "schema": {**_POSITION, "default": 0}},
    "asOf": _AS_OF | {"description": "The view as it stood at that log position or timestamp"},
    "minPosition": {
        "description": "Wait (a few seconds at most, then 503) until the view includes this "
        "log position: the X-LRS-Position of a write",
        "schema": _POSITION,
    },
}
_ADMIN_ERRORS: dict[tuple[str, str], tuple[str, ...]] = {
    ("/admin/stores", "post"): ("409", "429"),
    ("/admin/stores", "get"): ("429",),
    ("/admin/credentials", "get"): ("429",),
    ("/admin/credentials", "post"): ("404", "409", "429"),
    ("/admin/credentials/{key}/revoke", "post"): ("404", "429"),
    ("/admin/credentials/{key}/rotate", "post"): ("404", "409", "429"),
    ("/admin/export", "get"): ("404", "429"),
    ("/admin/rejections", "get"): ("429",),
    # Retiring or removing what the store's competency configuration does not hold.
    ("/admin/competency/frameworks", "delete"): ("404",),
    ("/admin/competency/roles/{role_id}", "delete"): ("404",),
    ("/admin/competency/teams/{team_id}", "delete"): ("404",),
    ("/admin/analytics/settings", "get"): ("429",),
    ("/admin/analytics/settings", "put"): ("429",),
    ("/admin/people/memberships", "post"): ("429",),
    ("/admin/people/opt-out", "post"): ("429",),
    ("/admin/people/opt-in", "post"): ("429",),
    ("/admin/programmes", "get"): ("429",),
    ("/admin/programmes/{programme_id}", "get"): ("404", "429"),
    ("/admin/programmes/{programme_id}", "put"): ("429", "503"),
    ("/admin/programmes/{programme_id}", "delete"): ("404", "409", "429", "503"),
}


def _describe_view(operation: Schema) -> None:
    for parameter in operation.get("parameters", []):
        extra = _VIEW_PARAMETERS.get(parameter["name"])
        if extra:
            parameter.update(extra)
        if parameter["name"] == "agent":
            del parameter["schema"]
            parameter.update(_json_query("agent", parameter["description"], _ref("schemas", "Agent"),
                                         required=True))
    success = operation["responses"]["200"]
    success["headers"] = _headers("X-LRS-Position")
    operation["responses"].update(_errors("400", "401", "403", "429", "503"))


def describe(schema: Schema) -> None:
    """Merge the descriptions above into FastAPI's schema, in place."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            # Invalid input is a 400 here (api/errors.py), never FastAPI's 422.
            responses.pop("422", None)
            responses.update(_errors("400", "401", "403"))
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    components["headers"] = HEADERS
    components["responses"] = RESPONSES
    components["parameters"] = PARAMETERS
    components["securitySchemes"] = {
        "basic": {"type": "http", "scheme": "basic", "description": "A key and secret of this LRS"},
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "A token of the configured OpenID Connect issuer"},
    }
    schema["security"] = [{"basic": []}, {"bearer": []}]
    paths = schema["paths"]
    for (path, method), described in OPERATIONS.items():
        operation = paths[path][method]
        operation.update(described)
    for path, path_item in paths.items():
        # A definitions page is not read from a view: no position, no asOf.
        if path.startswith("/views/") and not path.endswith("/definitions"):
            for operation in path_item.values():
                _describe_view(operation)
    for (path, method), statuses in _ADMIN_ERRORS.items():
        paths[path][method]["responses"].update(_errors(*statuses))
