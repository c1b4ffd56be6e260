"""A small real HTTP receiver for webhooks, as a customer would write one: it
checks each request's signature (lrs.forwarding.signing.verify) before reading
the body, and can be told to be down (503) or slow."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lrs.forwarding import signing


@dataclass
class Receiver:
    secret: str
    server: ThreadingHTTPServer | None = None
    down: bool = False
    delay: float = 0.0
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/lrs"

    def positions(self) -> list[int]:
        with self.lock:
            return [e["position"] for d in self.deliveries for e in d["events"]]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.down:
                    self._answer(503)
                    return
                header = self.headers.get(signing.HEADER, "")
                if not signing.verify(receiver.secret, header, body):
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self._answer(401)
                    return
                with receiver.lock:
                    receiver.deliveries.append(json.loads(body))
                self._answer(204)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
