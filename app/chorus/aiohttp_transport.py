"""An httpx transport that sends with aiohttp: the httpx API, at a fifth of its CPU per call.

The Chorus client speaks httpx (and its tests use httpx's MockTransport), but httpx's own
connection pool costs about 1.5-2.5 ms of CPU a call under concurrency here, which caps a
worker process below 200 deposits a second; aiohttp's costs about 0.2-0.5 ms.

What a failure means matters more than speed: a deposit refused before any byte was sent
may be sent again, one lost after sending may already be on Chorus Pro and must be looked
up first. So only a failed connect maps to `httpx.ConnectError` / `httpx.ConnectTimeout`;
a connection that dropped or timed out once the request went out maps to
`httpx.RemoteProtocolError` / `httpx.ReadTimeout`.
"""

from __future__ import annotations

import aiohttp
import httpx
from multidict import CIMultiDict

# Headers aiohttp would add itself; httpx already set the ones it wants.
_NO_AUTO_HEADERS = ("User-Agent", "Accept-Encoding", "Content-Type")


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # made in the running loop, at the first request
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 5.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        headers = CIMultiDict(
            (key.decode("latin-1"), value.decode("latin-1")) for key, value in request.headers.raw
        )
        body = await request.aread()
        try:
            async with self._client().request(
                request.method,
                str(request.url),
                data=body or None,
                headers=headers,
                skip_auto_headers=_NO_AUTO_HEADERS,
                allow_redirects=False,
                timeout=timeout,
            ) as answer:
                content = await answer.read()
                return httpx.Response(
                    answer.status,
                    headers=[
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in answer.raw_headers
                    ],
                    content=content,
                    request=request,
                )
        except aiohttp.ConnectionTimeoutError as exc:  # no connection: nothing was sent
            raise httpx.ConnectTimeout(str(exc), request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientError as exc:  # dropped, reset, garbled: it may have arrived
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
