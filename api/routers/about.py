"""GET /xapi/about (Communication 2.8): no credentials, never refused for its version."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

import lrs
from api.deps import Version
from api.routing import get_and_head
from lrs.xapi.params import check_names
from lrs.xapi.versions import SUPPORTED, V1, is_v2

router = APIRouter()

_EXTENSIONS = {"urn:x-lrs:about:software": {"name": "lrs", "version": lrs.__version__}}
# A request that speaks 1.0.x is told about 1.0.3 only: 1.0.x clients (TinCanPython's
# About, for one) refuse to parse a version list naming versions they do not know.
# 2.0 requests, and requests without a version header, see every supported version.
_ABOUT_ALL = orjson.dumps({"version": list(SUPPORTED), "extensions": _EXTENSIONS})
_ABOUT_V1 = orjson.dumps({"version": [V1], "extensions": _EXTENSIONS})


@get_and_head(router, "/xapi/about", summary="LRS information")
def about(request: Request, version: Version) -> Response:
    check_names(list(request.query_params.multi_items()), frozenset())
    declared = request.headers.get("x-experience-api-version")
    body = _ABOUT_V1 if declared and not is_v2(version) else _ABOUT_ALL
    return Response(body, media_type="application/json")
