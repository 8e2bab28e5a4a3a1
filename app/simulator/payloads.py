"""Strict reading of Chorus JSON bodies, so client bugs surface as a 400 instead of odd states.

Chorus Pro's own answer to a malformed body is unconfirmed (API.md 9.1); the simulator picks
HTTP 400 with synthetic `SIM_MSG_*` codes that no real answer can be confused with.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

MALFORMED_JSON = (10001, "SIM_MSG_JSON_INVALIDE")
MISSING_FIELD = (10002, "SIM_MSG_CHAMP_OBLIGATOIRE")
INVALID_FIELD = (10003, "SIM_MSG_CHAMP_INVALIDE")


class BadRequest(Exception):
    def __init__(self, kind: tuple[int, str], message: str) -> None:
        super().__init__(message)
        self.code, self.libelle = kind
        self.message = message

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"codeRetour": self.code, "libelle": self.libelle, "message": self.message},
            status_code=400,
        )


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(MALFORMED_JSON, "le corps de la requête n'est pas du JSON") from exc
    if not isinstance(body, dict):
        raise BadRequest(MALFORMED_JSON, "le corps de la requête doit être un objet JSON")
    return body


def _missing(body: dict[str, Any], name: str) -> bool:
    return body.get(name) is None


def _invalid(name: str, expected: str) -> BadRequest:
    return BadRequest(INVALID_FIELD, f"{name} : {expected} attendu")


def required_str(body: dict[str, Any], name: str) -> str:
    value = optional_str(body, name)
    if not value:
        raise BadRequest(MISSING_FIELD, f"champ obligatoire absent : {name}")
    return value


def optional_str(body: dict[str, Any], name: str) -> str | None:
    if _missing(body, name):
        return None
    value = body[name]
    if not isinstance(value, str):
        raise _invalid(name, "texte")
    return value


def required_int(body: dict[str, Any], name: str) -> int:
    value = optional_int(body, name)
    if value is None:
        raise BadRequest(MISSING_FIELD, f"champ obligatoire absent : {name}")
    return value


def optional_int(body: dict[str, Any], name: str) -> int | None:
    """Integers; digit strings too, as Chorus's Java side coerces them."""
    if _missing(body, name):
        return None
    value = body[name]
    if isinstance(value, bool):
        raise _invalid(name, "entier")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise _invalid(name, "entier")


def optional_bool(body: dict[str, Any], name: str) -> bool | None:
    if _missing(body, name):
        return None
    value = body[name]
    if not isinstance(value, bool):
        raise _invalid(name, "booléen")
    return value


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any]:
    if _missing(body, name):
        return {}
    value = body[name]
    if not isinstance(value, dict):
        raise _invalid(name, "objet")
    return value


def optional_list(body: dict[str, Any], name: str) -> list[Any]:
    if _missing(body, name):
        return []
    value = body[name]
    if not isinstance(value, list):
        raise _invalid(name, "liste")
    return value


def optional_str_list(body: dict[str, Any], name: str) -> list[str]:
    """A list of strings; a lone string is accepted as a one-item list."""
    if isinstance(body.get(name), str):
        return [body[name]]
    values = optional_list(body, name)
    if not all(isinstance(v, str) for v in values):
        raise _invalid(name, "liste de textes")
    return [str(v) for v in values]


def positive_int(body: dict[str, Any], name: str, default: int, maximum: int) -> int:
    value = optional_int(body, name)
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise _invalid(name, f"entier entre 1 et {maximum}")
    return value
