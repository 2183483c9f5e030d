"""Files that commands write (``-o``, ``--sheet``, ``--errors``), written safely.

``festival report -o festival.db`` must never overwrite the festival: an
output path that is the festival file, its ``-wal``/``-shm``/``-journal``,
or any existing SQLite database (by its header) is refused; a path that
cannot be written (a missing folder, a directory, a full disk such as
``/dev/full``) gives one line in both languages and exit status 2, never a
traceback.
"""
from __future__ import annotations

import os
from pathlib import Path

import click

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDECARS = ("", "-wal", "-shm", "-journal")


class OutputRefused(click.ClickException):
    """A bad output path: one bilingual line, exit status 2."""

    exit_code = 2


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(path: str | os.PathLike, festival_db: str | os.PathLike | None) -> Path:
    """Raise OutputRefused unless ``path`` may be written; return it as a Path."""
    target = Path(path)
    if festival_db:
        for suffix in SIDECARS:
            if _same(target, Path(str(festival_db) + suffix)):
                raise OutputRefused(f"Không ghi đè tệp dữ liệu lễ hội / refusing to overwrite the festival's "
                                    f"own file: {path}")
    if target.is_dir():
        raise OutputRefused(f"Đây là một thư mục, không phải tệp / this is a folder, not a file: {path}")
    if target.is_file():
        try:
            with open(target, "rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError:
            head = b""
        if head == SQLITE_MAGIC:
            raise OutputRefused(f"Không ghi đè một cơ sở dữ liệu SQLite / refusing to overwrite an SQLite "
                                f"database: {path}")
    if not target.parent.is_dir():
        raise OutputRefused(f"Thư mục không tồn tại / no such folder: {target.parent}")
    return target


def write_output(path: str | os.PathLike, data: bytes | str, festival_db: str | os.PathLike | None) -> Path:
    """Write ``data`` (text as UTF-8, newlines as given) to ``path`` after
    :func:`check_output`. Raises OutputRefused, also when the write fails."""
    target = check_output(path, festival_db)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(target, "wb") as fh:
            fh.write(raw)
            fh.flush()
    except OSError as exc:
        raise OutputRefused(f"Không ghi được / could not write {path}: {exc.strerror or exc}") from None
    return target
