"""Typed failures of the Chorus Pro client.

The client never retries (except the one token refresh on a 401): the caller, an arq job,
reads `retryable` and `retry_after` to decide when to try again. Messages never carry
secrets, request bodies or headers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar


def _restore(cls: type[ChorusError], args: tuple[Any, ...], state: dict[str, Any]) -> ChorusError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


TOKEN_OPERATION = "token"  # the PISTE OAuth2 token request, in errors and logs


class ChorusError(Exception):
    """Base of every client failure; `operation` names the Chorus call that failed."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, operation: str, http_status: int | None = None) -> None:
        super().__init__(f"{operation}: {message}")
        self.message = message
        self.operation = operation
        self.http_status = http_status

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors break the default pickling, and arq pickles job errors.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class ChorusUnavailableError(ChorusError):
    """Timeout, connection failure, 5xx or 429: try again later, after `retry_after` if set."""

    retryable: ClassVar[bool] = True

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        http_status: int | None = None,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(message, operation=operation, http_status=http_status)
        self.retry_after = retry_after


class ChorusAuthError(ChorusError):
    """Credentials refused (401 after one token refresh) or route not allowed (403).

    Not retryable: a person has to fix the PISTE application, its API subscriptions or the
    technical account password.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        http_status: int | None = None,
        description: str | None = None,
    ) -> None:
        full = f"{message} ({description})" if description else message
        super().__init__(full, operation=operation, http_status=http_status)
        self.description = description

    @property
    def credentials_refused(self) -> bool:
        """The credentials themselves were refused (401, or the token endpoint's 4xx); a
        403 is a route the PISTE application is not subscribed to, not a bad password."""
        return self.http_status == 401 or self.operation == TOKEN_OPERATION


class ChorusFunctionalError(ChorusError):
    """Chorus answered with `codeRetour` != 0: the request itself was refused."""

    def __init__(
        self,
        code_retour: int,
        libelle: str,
        *,
        operation: str,
        http_status: int | None = None,
    ) -> None:
        super().__init__(
            f"codeRetour={code_retour} libelle={libelle!r}",
            operation=operation,
            http_status=http_status,
        )
        self.code_retour = code_retour
        self.libelle = libelle


class ChorusProtocolError(ChorusError):
    """The answer could not be understood (not JSON, missing or inconsistent fields)."""
