"""A recording HTTP server on 127.0.0.1 for the fakes of services Kotae calls out to (webhook
receivers, Chatwoot's and Zendesk's APIs): it keeps every request it answers and can be told
to fail the next n of them, like a service that is down.

A fake subclasses RecordingServer to read the requests in its own terms and hands its class to
`recording_server`, with the answers the real service gives.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar


@dataclass(frozen=True)
class Request:
    """One request the server answered (failed ones are only counted)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return a header's value, whatever the case of its name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @property
    def json(self) -> Any:
        """Return the body parsed (an empty body reads as {})."""
        return json.loads(self.body or b"{}")


@dataclass
class RecordingServer:
    """What a recording server received; set `fail_next` to fail that many requests."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    fail_next: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def recorded(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Return the requests answered so far (with this method and path, if given)."""
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (path is None or r.path == path)]

    def _take(self, request: Request) -> bool:
        """Record a request, or count it as failed; return whether it failed."""
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self.failures += 1
                return True
            self.requests.append(request)
            return False


@dataclass(frozen=True)
class Reply:
    """A status with a JSON body (None: no body)."""

    status: int
    body: bytes | None = None


S = TypeVar("S", bound=RecordingServer)


@contextlib.contextmanager
def recording_server(kind: type[S], *, ok: Reply, failed: Reply, path: str = "",
                     port: int | None = None) -> Iterator[S]:
    """Serve on 127.0.0.1 (on `port`, else a free one) until the block ends, answering every
    POST, PUT and PATCH with `ok` (or `failed` while failing); yield the `kind` recording it,
    its url the server's address followed by `path`."""
    recorder = kind()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = Request(self.command, self.path, dict(self.headers.items()), body)
            reply = failed if recorder._take(request) else ok
            self.send_response(reply.status)
            if reply.body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body or b"")))
            self.end_headers()
            if reply.body:
                self.wfile.write(reply.body)

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_PATCH(self) -> None:
            self._answer()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
