"""Profile a phone's first visit inside the app: ``python -m bench.visitprofile [--phones N] [--page PATH]``.

Builds the hub's app (a new festival in a temporary folder, one live game),
then calls its WSGI stack (WhiteNoise, Flask-SocketIO's middleware, Flask) in
this process, as gunicorn's worker does, for N phones: the page and every
file it references (recursively, each phone from its own address), then the
join. Prints the CPU per phone and, with pyinstrument installed, where it
goes. The server's own share (eventlet's HTTP parsing and socket writes) is
not in it: the fan-out bench measures the whole.
"""
from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

from . import dataset
from .firstvisit import phone_address, references


def _call(app, method: str, path: str, address: str, body: bytes = b"", headers: dict | None = None):
    from werkzeug.test import EnvironBuilder  # only here: the bench's parent needs no app until now

    builder = EnvironBuilder(path=path, method=method, data=body or None, headers={
        "Accept-Encoding": "gzip", **(headers or {})}, environ_base={"REMOTE_ADDR": address})
    environ = builder.get_environ()
    status = []
    chunks = app.wsgi_app(environ, lambda s, h, exc=None: status.append((s, dict(h))))
    data = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return int(status[0][0].split()[0]), status[0][1], data


def visit(app, page: str, code: str, address: str) -> int:
    """One phone: the page, every file, the join. Returns the number of requests."""
    import gzip

    seen, queue, count = {page}, [page], 0
    while queue:
        path = queue.pop(0)
        status, headers, data = _call(app, "GET", path, address)
        count += 1
        if status != 200:
            raise RuntimeError(f"{status} {path}")
        if headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        for ref in references(headers.get("Content-Type", ""), data, path):
            if ref not in seen:
                seen.add(ref)
                queue.append(ref)
    body = json.dumps({"code": code, "nickname": None, "lang": "vi"}).encode()
    status, _, _ = _call(app, "POST", "/play/join", address, body, {"Content-Type": "application/json"})
    if status != 201:
        raise RuntimeError(f"join {status}")
    return count + 1


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.visitprofile", description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--page", default="/play?code={code}")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per phone, without pyinstrument")
    args = parser.parse_args(argv)
    from games.live import game as live  # the app, loaded only when profiling
    from kiosk import create_app
    from kiosk.db import open_db

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.db"
        dataset.new_database(path).conn.close()
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE": str(path), "ASYNC_MODE": "threading",
                          "GAME_MAX_PLAYERS": args.phones + 100})
        db = open_db(str(path), "NORMAL")
        code = live.create_game(db, bank=None, count=3, host="bench", now=time.time(), time_limit=60)["code"]
        db.conn.close()
        page = args.page.format(code=code)
        visit(app, page, code, phone_address(10_000))  # warm caches
        try:
            from pyinstrument import Profiler  # optional (the bench extra)
        except ImportError:
            Profiler = None
        if args.no_profile:
            Profiler = None
        profiler = Profiler(interval=0.0002) if Profiler else None
        if profiler:
            profiler.start()
        began, requests = time.process_time(), 0
        for i in range(args.phones):
            requests += visit(app, page, code, phone_address(i))
        used = time.process_time() - began
        if profiler:
            profiler.stop()
            out = io.StringIO()
            out.write(profiler.output_text(unicode=True, color=False, show_all=False))
            print(out.getvalue())
        print(f"{args.phones} phones, {requests / args.phones:.1f} requests each: "
              f"{used / args.phones * 1000:.2f} ms CPU per phone in the app (profiler on: {bool(profiler)})")


if __name__ == "__main__":
    main()
