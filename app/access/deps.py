"""Each route declares the scope it needs: `Annotated[Principal, Depends(require(scope))]`.

401 without a key (or with an unknown or revoked one), 403 with a key that lacks the
scope, 429 past the key's rate limit. The principal then limits what the route shows to
the suppliers the key acts for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.access.principal import Principal, Scope
from app.access.ratelimit import RateLimiter
from app.access.service import api_key_service
from app.deps import SessionDep
from app.kit.errors import AppError, Problem

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key (`cgk_…`), sent as `Authorization: Bearer <key>`.",
)


AUTH_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem, "description": "No API key, or an unknown or revoked one"},
    403: {"model": Problem, "description": "The API key lacks the scope this route needs"},
    429: {
        "model": Problem,
        "description": "Past the API key's rate limit; `Retry-After` says when to come back",
    },
}
"""What every route behind an API key may answer besides its own answers."""


class Unauthenticated(AppError):
    status = 401
    slug = "unauthenticated"
    title = "An API key is required"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": 'Bearer realm="chorus-gateway"'}


class Forbidden(AppError):
    status = 403
    slug = "forbidden"
    title = "This API key may not do this"


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("send `Authorization: Bearer <API key>`")
    principal = await api_key_service.authenticate(session, credentials.credentials)
    if principal is None:
        raise Unauthenticated("the API key is unknown or revoked")
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        await limiter.hit(principal)
    return principal


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    async def scoped(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if not principal.has(scope):
            raise Forbidden(f"this API key lacks the scope {scope.value}")
        return principal

    scoped.__name__ = f"require_{scope.name.lower()}"
    return scoped


InvoiceWriter = Annotated[Principal, Depends(require(Scope.INVOICES_WRITE))]
InvoiceReader = Annotated[Principal, Depends(require(Scope.INVOICES_READ))]
WebhookManager = Annotated[Principal, Depends(require(Scope.WEBHOOKS_MANAGE))]
SupplierManager = Annotated[Principal, Depends(require(Scope.SUPPLIERS_MANAGE))]
Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]
