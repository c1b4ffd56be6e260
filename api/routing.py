"""GET routes that also answer HEAD (Communication 1.1), with one OpenAPI operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


def get_and_head(router: APIRouter, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``GET path`` (documented) and ``HEAD path`` (same handler, not in the schema)."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, endpoint, methods=["GET"], **kwargs)
        router.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False, **kwargs)
        return endpoint

    return register
