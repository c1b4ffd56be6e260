"""GET /xapi/about (Communication 2.8): no credentials, never refused for its version."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

import lrs
from lrs.xapi.params import check_names
from lrs.xapi.versions import SUPPORTED

router = APIRouter()

ABOUT = orjson.dumps(
    {
        "version": list(SUPPORTED),
        "extensions": {"urn:x-lrs:about:software": {"name": "lrs", "version": lrs.__version__}},
    }
)


@router.api_route("/xapi/about", methods=["GET", "HEAD"], summary="LRS information")
def about(request: Request) -> Response:
    check_names(list(request.query_params.multi_items()), frozenset())
    return Response(ABOUT, media_type="application/json")
