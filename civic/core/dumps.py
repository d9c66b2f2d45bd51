"""Nightly bulk downloads of the open datasets ("open data by default",
issue 20, item 3).

For every dataset declared with ``bulk=True`` (every dataset when the
``opendata.dump_all`` setting is on), a job writes the day's dump in two
formats, gzip CSV and gzip JSON, under ``OPENDATA_DIR/<name>/``:

- the rows come from the dataset's own generator and go straight through
  gzip into a temporary file of the same folder: memory stays flat for any
  number of rows, and a dump is never held whole;
- only a complete dump is published: both files are renamed into
  ``<YYYY-MM-DD>.csv.gz`` / ``.json.gz`` (atomic on one file system), then the
  ``latest`` pointer file (JSON: day, files, SHA-256, size) is replaced the
  same way. A build that fails half-way deletes its temporary files and leaves
  the previous version published;
- the newest ``opendata.dump_versions`` days are kept, older ones deleted.

Gzip headers carry no time (``mtime=0``), so the same rows give the same
bytes and the same ETag. :func:`latest_dump` and :func:`dump_response` are
what the catalogue's download views use to serve a dump.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l

from civic.core import datasets
from civic.core.export import csv_lines, iso
from civic.core.time import today

log = logging.getLogger("civic.opendata")

VERSIONS_KEY = "opendata.dump_versions"
DUMP_ALL_KEY = "opendata.dump_all"
POINTER = "latest"
TMP_PREFIX = ".tmp-"
# A temporary file older than this was left by a killed build: the next build removes it.
STALE_TMP_SECONDS = 6 * 3600
CHUNK = 64 * 1024
WRITE_CHUNK = 64 * 1024  # characters per write into gzip


def register() -> None:
    """The settings and the periodic job of the dumps (called once by core)."""
    from civic.core.jobs import register_periodic
    from civic.core.settings import SettingSpec, register_setting

    register_setting(SettingSpec(
        VERSIONS_KEY, 7, int, lambda: _l("Open data: daily dumps kept per dataset"),
        lambda: _l("The newest dumps are kept for download; older ones are deleted."), minimum=1, maximum=366))
    register_setting(SettingSpec(
        DUMP_ALL_KEY, False, bool, lambda: _l("Open data: a nightly dump of every dataset, not only the large ones"),
        lambda: _l("Large datasets always have one; with this, small ones also keep their daily versions.")))
    # Hourly, and a no-op once today's dump exists: the first run after local
    # midnight builds it, and a scheduler down at that time catches up.
    register_periodic("opendata.dumps", build_dumps, 3600)
    from civic.demo import register_demo

    register_demo(order=95)(load_demo)


def load_demo(ctx: dict) -> None:
    """Demo: after every module has loaded its data, the daily series are
    backfilled from it and every dataset gets tonight's dump, so the catalogue
    shows the series and serves the dumped files at once."""
    from civic.core.series import all_series, backfill

    for s in all_series():
        backfill(s)
    outcome = build_dumps([ds.name for ds in datasets.datasets()], force=True)
    ctx["opendata_dumps"] = outcome


def dump_root() -> Path:
    return Path(current_app.config.get("OPENDATA_DIR") or Path(current_app.config["INSTANCE_DIR"]) / "opendata")


def folder_of(name: str) -> Path:
    if datasets.get_dataset(name) is None:
        raise KeyError(name)  # only registered names: a URL never chooses a path
    return dump_root() / name


class _HashingWriter:
    """A binary file that also hashes and counts what goes through it."""

    def __init__(self, raw):
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self):
        self.raw.flush()


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return iso(value)
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)  # Decimal and the like: exact, as text


class _Sink:
    """One output format being written to its temporary file."""

    def __init__(self, folder: Path, fmt: str):
        fd, path = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX, suffix=f".{fmt}.gz")
        self.fmt, self.path = fmt, Path(path)
        self.raw = os.fdopen(fd, "wb")
        self.hashing = _HashingWriter(self.raw)
        self.gz = gzip.GzipFile(fileobj=self.hashing, mode="wb", mtime=0, compresslevel=6)

    def write(self, text: str) -> None:
        self.gz.write(text.encode("utf-8"))

    def close(self) -> None:
        self.gz.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.gz.close()
        with contextlib.suppress(Exception):
            self.raw.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def csv_dump_lines(ds: datasets.Dataset) -> Iterable[str]:
    """The default CSV of a dump: the header, then the rows, formula-safe
    (``core.export.csv_lines``, as the live downloads)."""
    return csv_lines(ds.header, ds.rows())


def json_dump_lines(ds: datasets.Dataset) -> Iterable[str]:
    """The default JSON of a dump: an array of objects keyed by field name."""
    header = ds.header
    yield "["
    sep = "\n"
    for row in ds.rows():
        yield sep + json.dumps({k: _json_value(v) for k, v in zip(header, row, strict=True)}, ensure_ascii=False)
        sep = ",\n"
    yield "\n]\n"


@dataclass(frozen=True)
class DumpFormat:
    """How one format of a dump is written: ``lines(ds)`` yields its text."""

    mimetype: str
    lines: Callable[[datasets.Dataset], Iterable[str]]


# The formats a dump is written in. The open-data package replaces them with
# the bodies of its live downloads (register_format), so that a dump and the
# live file of a dataset are the same document.
_FORMATS: dict[str, DumpFormat] = {
    "csv": DumpFormat("text/csv; charset=utf-8", csv_dump_lines),
    "json": DumpFormat("application/json", json_dump_lines),
}


def register_format(fmt: str, mimetype: str, lines: Callable[[datasets.Dataset], Iterable[str]]) -> None:
    """Write the ``fmt`` file of every dump with ``lines(ds)`` (idempotent).
    For "csv", ``lines`` yields the header then one string per row (the
    pointer's row count is read from it)."""
    _FORMATS[fmt] = DumpFormat(mimetype, lines)


def _write(lines: Iterable[str], sink: _Sink) -> int:
    """Stream ``lines`` into ``sink`` in batches; returns the number of lines."""
    buf, size, n = [], 0, 0
    for text in lines:
        buf.append(text)
        size += len(text)
        n += 1
        if size >= WRITE_CHUNK:
            sink.write("".join(buf))
            buf, size = [], 0
    sink.write("".join(buf))
    return n


def build_dump(ds: datasets.Dataset, day: date | None = None) -> dict:
    """Write and publish ``ds``'s dump of ``day`` (default today, local), then
    prune old versions. Returns the new pointer. On any error the temporary
    files are removed and the previous version stays published."""
    folder = dump_root() / ds.name
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(folder)
    stem = (day or today()).isoformat()
    sinks: dict[str, _Sink] = {}
    rows = None
    try:
        # Each format reads the rows itself: one generator, one pass, flat memory.
        for fmt, spec in _FORMATS.items():
            sinks[fmt] = sink = _Sink(folder, fmt)
            lines = _write(spec.lines(ds), sink)
            sink.close()
            if fmt == "csv":
                rows = lines - 1  # the header
    except BaseException:
        for sink in sinks.values():
            sink.discard()
        raise
    pointer = {"dataset": ds.name, "day": stem, "rows": rows,
               "built_at": iso(datetime.now(UTC)), "files": {}}
    for fmt, sink in sinks.items():
        final = folder / f"{stem}.{fmt}.gz"
        os.replace(sink.path, final)
        pointer["files"][fmt] = {"file": final.name, "sha256": sink.hashing.sha.hexdigest(),
                                 "bytes": sink.hashing.size}
    _write_pointer(folder, pointer)
    prune(folder)
    return pointer


def _write_pointer(folder: Path, pointer: dict) -> None:
    fd, path = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX, suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(pointer, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path, folder / POINTER)


def read_pointer(name: str) -> dict | None:
    try:
        with open(folder_of(name) / POINTER, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, KeyError, ValueError):
        return None


def _remove_stale_tmp(folder: Path) -> None:
    limit = time.time() - STALE_TMP_SECONDS
    for path in folder.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < limit:
                path.unlink()


def prune(folder: Path, keep: int | None = None) -> list[str]:
    """Delete all but the newest ``keep`` days (the setting by default); the
    day the pointer names is never deleted. Returns the names removed."""
    from civic.core.settings import get_setting

    keep = keep or get_setting(VERSIONS_KEY)
    try:
        with open(folder / POINTER, encoding="utf-8") as f:
            current = json.load(f).get("day")
    except (FileNotFoundError, ValueError):
        current = None
    removed = []
    for fmt in _FORMATS:
        files = sorted(folder.glob(f"????-??-??.{fmt}.gz"), reverse=True)
        for path in files[keep:]:
            if path.name.split(".")[0] != current:
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return removed


def versions(name: str, fmt: str = "csv") -> list[str]:
    """The days of the dumps on disk, newest first."""
    try:
        folder = folder_of(name)
    except KeyError:
        return []
    return [p.name.split(".")[0] for p in sorted(folder.glob(f"????-??-??.{fmt}.gz"), reverse=True)]


def latest_dump(name: str, fmt: str = "csv") -> tuple[Path, datetime, str] | None:
    """The published dump of dataset ``name`` in ``fmt`` ("csv" or "json"):
    ``(path of the gzip file, its modification time as naive UTC, strong
    ETag)``, or None when there is none yet (serve live then)."""
    if fmt not in _FORMATS:
        return None
    pointer = read_pointer(name)
    if not pointer or fmt not in pointer.get("files", {}):
        return None
    entry = pointer["files"][fmt]
    path = folder_of(name) / entry["file"]
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    mtime = datetime.fromtimestamp(int(stat.st_mtime), UTC).replace(tzinfo=None)
    return path, mtime, f'"{entry["sha256"][:40]}"'


def dump_response(name: str, fmt: str = "csv") -> Response | None:
    """Serve the latest dump of ``name``: ``Content-Encoding: gzip`` with the
    CSV or JSON type (a client that does not accept gzip gets it inflated on
    the fly), ETag and Last-Modified, 304 on a matching ``If-None-Match`` (or
    an ``If-Modified-Since`` not older). None when there is no dump yet."""
    found = latest_dump(name, fmt)
    if found is None:
        return None
    path, mtime, etag = found
    day = path.name.split(".")[0]
    headers = {"ETag": etag, "Last-Modified": _http_date(mtime), "Cache-Control": "public, max-age=3600",
               "Access-Control-Allow-Origin": "*", "Vary": "Accept-Encoding",
               "Content-Disposition": f'attachment; filename="{name}-{day}.{fmt}"'}
    tags = _etags(request.headers.get("If-None-Match", ""))
    if etag in tags or "*" in tags or (
            "If-None-Match" not in request.headers and _not_modified_since(mtime)):
        return Response(status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(path.stat().st_size)
        return Response(_read_chunks(path, gzip_open=False), mimetype=_FORMATS[fmt].mimetype, headers=headers,
                        direct_passthrough=True)
    return Response(_read_chunks(path, gzip_open=True), mimetype=_FORMATS[fmt].mimetype, headers=headers,
                    direct_passthrough=True)


def _read_chunks(path: Path, *, gzip_open: bool):
    # Opened now, read while streaming: a new dump renamed over it meanwhile
    # leaves this download reading the old file to its end.
    f = gzip.open(path, "rb") if gzip_open else open(path, "rb")  # noqa: SIM115
    try:
        while chunk := f.read(CHUNK):
            yield chunk
    finally:
        f.close()


def _etags(header: str) -> set[str]:
    tags = {t.strip() for t in header.split(",") if t.strip()}
    return tags | {t[2:] for t in tags if t.startswith("W/")}


def _http_date(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment.replace(tzinfo=UTC), usegmt=True)


def _not_modified_since(mtime: datetime) -> bool:
    from email.utils import parsedate_to_datetime

    raw = request.headers.get("If-Modified-Since")
    if not raw:
        return False
    try:
        since = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return mtime.replace(tzinfo=UTC) <= since


def due(ds: datasets.Dataset, dump_all: bool) -> bool:
    return ds.bulk or dump_all


def build_dumps(names: list[str] | None = None, *, force: bool = False) -> dict[str, str]:
    """Periodic job body (``opendata.dumps``, hourly): build today's dump of
    every due dataset that has none yet (all of ``names`` when given, and
    again when ``force``). One failing dataset is logged and the others go
    on; it keeps its previous version. Returns ``{name: outcome}``."""
    from civic.core.jobs import job_lock
    from civic.core.settings import get_setting
    from civic.extensions import db

    outcome: dict[str, str] = {}
    with job_lock("opendata.dumps", ttl=6 * 3600) as got:
        if not got:
            log.info("open data dumps already being built; skipped")
            return outcome
        dump_all = get_setting(DUMP_ALL_KEY)
        stem = today().isoformat()
        for ds in datasets.datasets():
            if names is not None and ds.name not in names:
                continue
            if names is None and not due(ds, dump_all):
                continue
            pointer = read_pointer(ds.name)
            if not force and pointer and pointer.get("day") == stem:
                outcome[ds.name] = "up to date"
                continue
            try:
                outcome[ds.name] = f"{build_dump(ds)['rows']} rows"
            except Exception:
                log.exception("open data dump of %s failed; the previous one stays published", ds.name)
                outcome[ds.name] = "failed"
            finally:
                db.session.rollback()  # end the read transaction between datasets
    return outcome
