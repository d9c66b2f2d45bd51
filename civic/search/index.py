"""Keeping the index: documents from the kinds' hooks, written in the
transaction that changed the item (a session listener), and rebuilt by the
periodic job and the CLI for whatever the listener cannot see (bulk SQL,
an item whose visibility follows its parent's).

A kind joins the search with two hooks in its ``kind.py``:

- ``search_document: fn(obj) -> dict | None``: ``{"title", "body", "url",
  "district_id", "published_at"}`` in plain text or Markdown (the index
  strips marks), never an author's name or address; None when the item is
  not public (draft, hidden, moderated out);
- ``search_documents: fn() -> iterable of objs``: every item that may be
  public, for a full reindex.

And optionally ``search_related: fn(obj) -> iterable of objs``: items whose
visibility follows ``obj`` (a process's proposals), reindexed when ``obj``
enters or leaves the index.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from civic.core import content
from civic.core.time import utcnow
from civic.extensions import db
from civic.search.models import SearchDocument
from civic.search.text import plain

log = logging.getLogger(__name__)
T = SearchDocument.__table__
_PENDING = "civic_search_pending"
_FIELDS = ("title", "body", "url", "district_id", "published_at")


def indexed_kinds() -> list:
    return [k for k in content.kinds() if "search_document" in k.hooks]


def _path(url: str) -> str:
    """The link without scheme and host: kinds give absolute URLs outside
    requests (jobs, CLI) and relative ones inside; the index keeps one form."""
    parts = urlsplit(url)
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment)) or "/"


def document(kind, obj) -> dict | None:
    """The row of ``obj`` as the index stores it, or None if it is not public."""
    doc = kind.hooks["search_document"](obj)
    if doc is None:
        return None
    return {"kind": kind.name, "object_id": obj.id, "title": plain(doc["title"], limit=300) or "—",
            "body": plain(doc.get("body")), "url": _path(doc["url"])[:500], "district_id": doc.get("district_id"),
            "published_at": doc.get("published_at")}


def _insert(session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(T)


def upsert(session, rows: list[dict]) -> None:
    if not rows:
        return
    now = utcnow()
    stmt = _insert(session)
    stmt = stmt.on_conflict_do_update(index_elements=["kind", "object_id"],
                                      set_={f: stmt.excluded[f] for f in (*_FIELDS, "indexed_at")})
    session.execute(stmt, [{**r, "indexed_at": now} for r in rows])


def delete(session, kind_name: str, ids) -> None:
    ids = list(ids)
    if ids:
        session.execute(sa.delete(T).where(T.c.kind == kind_name, T.c.object_id.in_(ids)))


def index_objects(session, pairs, *, follow_related: bool = True) -> None:
    """Write the documents of ``pairs`` ``(kind, obj)`` (upsert the public ones,
    delete the others); then, for an item that entered or left the index,
    the same for its ``search_related`` items."""
    by_kind: dict[str, list] = {}
    for kind, obj in pairs:
        if obj.id is not None:
            by_kind.setdefault(kind.name, []).append((kind, obj))
    related = []
    for name, items in by_kind.items():
        ids = [obj.id for _k, obj in items]
        before = set(session.execute(sa.select(T.c.object_id).where(T.c.kind == name, T.c.object_id.in_(ids)))
                     .scalars())
        rows, gone = [], []
        for kind, obj in items:
            row = document(kind, obj)
            if row is None:
                gone.append(obj.id)
            else:
                rows.append(row)
            flipped = (row is not None) != (obj.id in before)
            hook = kind.hooks.get("search_related")
            if follow_related and flipped and hook:
                related.extend(hook(obj))
        upsert(session, rows)
        delete(session, name, gone)
    if related:
        models = {k.model: k for k in indexed_kinds()}
        index_objects(session, [(models[type(o)], o) for o in related if type(o) in models], follow_related=False)


def forget(session, pairs) -> None:
    """Delete the documents of deleted items ``(kind_name, id)``."""
    by_kind: dict[str, list] = {}
    for name, obj_id in pairs:
        by_kind.setdefault(name, []).append(obj_id)
    for name, ids in by_kind.items():
        delete(session, name, ids)


def reindex(kind_names=None) -> dict:
    """Bring the index in line with every kind's items, writing only what
    changed: returns ``{kind: (written, deleted)}``. The periodic job and
    ``flask civic search reindex`` run it."""
    session = db.session
    out = {}
    for kind in indexed_kinds():
        if kind_names and kind.name not in kind_names:
            continue
        fresh = {}
        for obj in kind.hooks["search_documents"]():
            row = document(kind, obj)
            if row is not None:
                fresh[obj.id] = row
        stored = {r.object_id: r for r in session.execute(
            sa.select(T.c.object_id, *(T.c[f] for f in _FIELDS)).where(T.c.kind == kind.name))}
        changed = [row for oid, row in fresh.items()
                   if oid not in stored or any(getattr(stored[oid], f) != row[f] for f in _FIELDS)]
        gone = [oid for oid in stored if oid not in fresh]
        for start in range(0, len(changed), 500):
            upsert(session, changed[start:start + 500])
        for start in range(0, len(gone), 500):
            delete(session, kind.name, gone[start:start + 500])
        out[kind.name] = (len(changed), len(gone))
    return out


# --- the listener: the index follows each flush, in the same transaction -------------

def _collect(session, _flush_context):
    models = {k.model: k for k in indexed_kinds()}
    if not models:
        return
    pending = session.info.setdefault(_PENDING, {"objs": {}, "gone": set()})
    for obj in list(session.new) + list(session.dirty):
        kind = models.get(type(obj))
        if kind is not None and (obj in session.new or session.is_modified(obj, include_collections=False)):
            pending["objs"][id(obj)] = (kind, obj)
    for obj in session.deleted:
        kind = models.get(type(obj))
        if kind is not None and obj.id is not None:
            pending["gone"].add((kind.name, obj.id))


def _write(session, _flush_context):
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    objs = [(k, o) for k, o in pending["objs"].values() if (k.name, o.id) not in pending["gone"]]
    index_objects(session, objs)
    forget(session, pending["gone"])


def install() -> None:
    """Listen on every session (idempotent): after each flush, the documents
    of the items it wrote are written too, so a hidden item leaves the
    results in the transaction that hid it."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_flush_postexec", _write)
