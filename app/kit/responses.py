"""Answering with a model serialised once.

A model returned to FastAPI is dumped, validated again against the route's
`response_model` and dumped once more; the routes on the hot paths answer with the JSON
directly, and their `response_model` only documents it.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_response(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        model.model_dump_json(),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
