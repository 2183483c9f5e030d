"""A phone's first visit, as a browser makes it: the page, then every file it
references, recursively (``<link href>``, ``<script src>``, ``<img src>``,
CSS ``url()`` and ``@import``, JavaScript ``import``/``export … from``), over
one keep-alive HTTP/1.1 connection from the phone's own loopback address.

Standard library only (asyncio streams), small enough that one load-generator
process drives a thousand phones. Loopback only.
"""
from __future__ import annotations

import asyncio
import gzip
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

_HTML_REF = re.compile(r"""<(?:link|script|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
_CSS_REF = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""")
_JS_REF = re.compile(r"""\b(?:import|export)\b[^;'"()]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']""")


def phone_address(index: int) -> str:
    """Phone ``index``'s own source address in 127.0.0.0/8 (all of it is loopback on Linux);
    never 127.0.0.1, which the desk, host and big screen use."""
    n = index + 1
    return f"127.{100 + (n // 62500)}.{(n // 250) % 250 + 1}.{n % 250 + 1}"


def references(content_type: str, body: bytes, url: str) -> list[str]:
    """Same-origin paths that ``body`` (HTML, CSS or JavaScript) makes a browser load next."""
    text = body.decode("utf-8", "replace")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/html":
        found = _HTML_REF.findall(text)
    elif kind == "text/css":
        found = [a or b for a, b in _CSS_REF.findall(text)]
    elif kind in ("text/javascript", "application/javascript"):
        found = [a or b for a, b in _JS_REF.findall(text)]
    else:
        return []
    out = []
    for ref in found:
        if ref.startswith(("data:", "blob:", "#")) or "//" in ref.split("?")[0][:8]:
            continue
        absolute = urljoin(url, ref)
        parts = urlsplit(absolute)
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


@dataclass
class Response:
    path: str
    status: int
    headers: dict
    body: bytes  # decoded (gunzipped when the server compressed it)
    wire_bytes: int


@dataclass
class Visit:
    responses: list[Response] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.responses)

    @property
    def failed(self) -> list[str]:
        return [f"{r.status} {r.path}" for r in self.responses if r.status >= 400]


class Connection:
    """One keep-alive HTTP/1.1 connection, as a phone's browser keeps to the hub."""

    def __init__(self, host: str, port: int, source: str | None = None):
        self.host, self.port, self.source = host, port, source
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}
        self.answered = 0  # responses read on the current connection
        self.retries = 0  # requests sent again on a new connection

    async def open(self, timeout: float) -> None:
        local = (self.source, 0) if self.source else None
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, local_addr=local, limit=1 << 20), timeout)
        self.answered = 0

    async def request(self, method: str, path: str, timeout: float, body: bytes = b"",
                      headers: dict | None = None) -> Response:
        """Send one request and read its answer. As a browser does, a request that finds its
        reused keep-alive connection closed by the server (its idle timeout) goes once more
        on a new connection."""
        reused = self.writer is not None and not self.writer.is_closing() and self.answered > 0
        try:
            return await self._request(method, path, timeout, body, headers)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
            if not reused:
                raise
            self.close()
            self.retries += 1
            return await self._request(method, path, timeout, body, headers)

    async def _request(self, method: str, path: str, timeout: float, body: bytes, headers: dict | None) -> Response:
        if self.writer is None or self.writer.is_closing():
            await self.open(timeout)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept-Encoding: gzip",
                 "User-Agent: festival-bench-phone"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return await asyncio.wait_for(self._response(path), timeout)

    async def _response(self, path: str) -> Response:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if status in (204, 304) or 100 <= status < 200:
            data = b""
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        else:
            data = await self.reader.read()
            self.writer.close()
        wire = len(head) + len(data)
        if headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
        self.answered += 1
        return Response(path, status, headers, data, wire)

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def first_visit(conn: Connection, page: str, timeout: float) -> Visit:
    """GET ``page`` and everything it references, recursively, each once, in document order."""
    visit, seen, queue = Visit(), {page}, [page]
    while queue:
        path = queue.pop(0)
        response = await conn.request("GET", path, timeout)
        visit.responses.append(response)
        if response.status != 200:
            continue
        for ref in references(response.headers.get("content-type", ""), response.body, path):
            if ref not in seen:
                seen.add(ref)
                queue.append(ref)
    return visit
