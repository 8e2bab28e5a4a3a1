"""A Standard Webhooks receiver on a real socket: it keeps every request, answers 204."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self) -> None:
        self.secret: str | None = None  # set once the endpoint is registered
        self.verified: set[str] = set()  # webhook-ids of requests that verified
        self.requests = 0
        self.unverified = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.check(headers, body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def check(self, headers: dict[str, str], body: bytes) -> None:
        """Verified on receipt: the signature's timestamp is only valid for five minutes."""
        ok = False
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)
                ok = True
            except WebhookVerificationError:
                ok = False
        with self._lock:
            self.requests += 1
            if ok:
                self.verified.add(headers.get("webhook-id", ""))
            else:
                self.unverified += 1
