"""Limits on how much and how slowly a client may send, for every PolyShop HTTP server (the
subgraphs' uvicorn and the router's).

uvicorn with httptools bounds neither: a request line and headers of any size are buffered,
and a connection that never finishes its headers, or whose body never arrives, is held for as
long as the client likes (a handful of such clients holds every connection). `GuardedHttp` is
uvicorn's httptools protocol with three limits:

- ``max_header_bytes``: the request line and header fields together; past it the client gets
  ``431 Request Header Fields Too Large`` and the connection closes, before the rest is read.
- ``header_read_timeout``: seconds from the connection's first byte of a request (or from the
  connection itself) to the end of its headers; then ``408 Request Timeout`` and close.
- ``body_read_timeout``: seconds from the end of the headers to the end of the body; then
  ``408`` (if no response has started) and close, and the app's ``receive()`` sees a
  disconnect, so its handler ends instead of waiting.

Idle keep-alive connections between requests stay uvicorn's ``timeout_keep_alive``. A process
builds its protocol class from its settings with `guarded_http` and hands it to uvicorn as
``http=`` (an import string where uvicorn needs one, see each server's module).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 32 * 1024
DEFAULT_HEADER_READ_TIMEOUT = 10.0
DEFAULT_BODY_READ_TIMEOUT = 30.0


class _HeadersTooLarge(Exception):
    """Raised inside a parser callback to stop parsing; httptools wraps it."""


LINGER_SECONDS = 2.0
"""How long a refused connection keeps reading (and dropping) before it closes."""


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with header-size and read-time limits (module docstring)."""

    max_header_bytes: ClassVar[int] = DEFAULT_MAX_HEADER_BYTES
    header_read_timeout: ClassVar[float] = DEFAULT_HEADER_READ_TIMEOUT
    body_read_timeout: ClassVar[float] = DEFAULT_BODY_READ_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._headers_too_large = False
        self._lingering = False
        self._read_timer: asyncio.TimerHandle | None = None

    # -- timers ---------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self._send_and_close(408, "Request timeout: the request was not received in time.")
        else:
            self.transport.close()
        if cycle is not None and not cycle.response_complete:
            # The handler waiting in receive() sees a disconnect and ends.
            cycle.disconnected = True
            cycle.message_event.set()

    # -- connection and parser callbacks ----------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_read_timeout)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # answered and closing: what the client still sends is read and dropped
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm(self.header_read_timeout)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._arm(self.body_read_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.max_header_bytes:
            self._headers_too_large = True
            raise _HeadersTooLarge

    def send_400_response(self, msg: str) -> None:
        """The parser stopped: a 431 when our limit stopped it, uvicorn's 400 otherwise."""
        self._disarm()
        if self._headers_too_large:
            self._send_and_close(431, "Request header fields too large.")
            return
        super().send_400_response(msg)

    def _send_and_close(self, status: int, message: str) -> None:
        body = message.encode("ascii")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        # A lingering close, as nginx and Apache do: closing a socket whose client is still
        # sending (a megabyte of headers) makes the kernel answer with a reset, which throws
        # away the 431 the client has not read yet. So: end our side, drop what still
        # arrives, and close once the client has seen the answer or after LINGER_SECONDS.
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def guarded_http(
    *,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    header_read_timeout: float = DEFAULT_HEADER_READ_TIMEOUT,
    body_read_timeout: float = DEFAULT_BODY_READ_TIMEOUT,
) -> type[GuardedHttp]:
    """A `GuardedHttp` with these limits, for uvicorn's ``http=``."""
    return type(
        "GuardedHttp",
        (GuardedHttp,),
        {
            "max_header_bytes": max_header_bytes,
            "header_read_timeout": header_read_timeout,
            "body_read_timeout": body_read_timeout,
        },
    )
