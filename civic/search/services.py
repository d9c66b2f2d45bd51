"""Reading the index: one search, answered in a fixed number of queries
whatever the number of results (the counts per kind, then the results), on
PostgreSQL full-text search or SQLite FTS5.

Open to everyone and read-only: the index holds only public items, so there
is no actor to check."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG

from civic.accounts.models import District
from civic.core import content
from civic.extensions import db
from civic.search.models import SearchDocument
from civic.search.text import START, STOP, fts5_query, highlight, normalise_query, tsquery_prefixes, web_syntax

T = SearchDocument.__table__
PER_PAGE = 20
PER_GROUP = 5
_HEADLINE = f'StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
_TITLE_HEADLINE = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"


@dataclass
class Hit:
    kind: str
    object_id: int
    title: object  # Markup
    snippet: object  # Markup
    url: str
    published_at: object


@dataclass
class Group:
    kind: str
    label: str
    count: int
    hits: list = field(default_factory=list)


@dataclass
class Results:
    query: str
    kind: str | None
    district_id: int | None
    counts: list  # [(kind, label, count)] in the registry's order
    total: int
    groups: list  # [Group], without a kind filter
    hits: list  # [Hit], with a kind filter (one page)
    page: int
    pages: int


class _Match:
    """The dialect's way of matching, ranking and highlighting."""

    def __init__(self, q: str):
        self.pg = db.session.get_bind().dialect.name == "postgresql"
        if self.pg:
            cfg = sa.cast(sa.literal("civic_fr"), REGCONFIG)
            tsv = sa.literal_column("search_document.tsv")
            prefixes = tsquery_prefixes(q)
            # Plain words match as prefixes of the stems; a query written in
            # the search-engine syntax is read by websearch_to_tsquery.
            if web_syntax(q) or prefixes is None:
                tsq = sa.func.websearch_to_tsquery(cfg, q)
            else:
                tsq = sa.func.to_tsquery(cfg, prefixes)
            self.source = T
            self.where = tsv.op("@@")(tsq)
            self.rank = sa.func.ts_rank_cd(tsv, tsq)
            self._cfg, self._tsq = cfg, tsq
        else:
            fts = sa.table("search_fts", sa.column("rowid"))
            match = fts5_query(q)
            self.source = T.join(fts, fts.c.rowid == T.c.id)
            self.where = sa.literal_column("search_fts").op("MATCH")(match) if match else sa.false()
            # bm25 is lower for better matches; titles weigh ten times the text.
            self.rank = -sa.func.bm25(sa.literal_column("search_fts"), 10.0, 1.0)

    def snippets(self, title_col, body_col):
        """Highlighted title and snippet: on SQLite they must be computed in the
        SELECT that holds the MATCH; on PostgreSQL on the selected rows only."""
        if self.pg:
            return (sa.func.ts_headline(self._cfg, title_col, self._tsq, _TITLE_HEADLINE),
                    sa.func.ts_headline(self._cfg, body_col, self._tsq, _HEADLINE))
        fts = sa.literal_column("search_fts")
        return (sa.func.highlight(fts, 0, START, STOP), sa.func.snippet(fts, 1, START, STOP, "…", 24))


def _hit(row) -> Hit:
    return Hit(row.kind, row.object_id, highlight(row.htitle), highlight(row.snip), row.url, row.published_at)


def search(q: str | None, kind: str | None = None, district_id: int | None = None, page: int = 1,
           per_page: int = PER_PAGE, per_group: int = PER_GROUP) -> Results | None:
    """The results for ``q``: counts per kind, then either the best
    ``per_group`` items of each kind (no ``kind``) or one page of ``kind``'s.
    None for an empty query. Two queries in all."""
    q = normalise_query(q)
    if not q:
        return None
    m = _Match(q)
    filters = [m.where]
    if district_id is not None:
        filters.append(T.c.district_id == district_id)
    order = {k.name: i for i, k in enumerate(content.kinds())}
    rows = db.session.execute(sa.select(T.c.kind, sa.func.count()).select_from(m.source).where(*filters)
                              .group_by(T.c.kind)).all()
    found = {k: n for k, n in rows if k in order}
    counts = [(k, str(content.get_kind(k).label()), found[k]) for k in sorted(found, key=order.get)]
    total = sum(found.values())
    kind = kind if kind in found or kind in order else None
    groups, hits, pages = [], [], 1
    if kind is not None:
        pages = max(1, -(-found.get(kind, 0) // per_page))
        if kind in found and page <= pages:
            htitle, snip = m.snippets(T.c.title, T.c.body)
            stmt = (sa.select(T.c.kind, T.c.object_id, T.c.url, T.c.published_at, htitle.label("htitle"),
                              snip.label("snip"))
                    .select_from(m.source).where(*filters, T.c.kind == kind)
                    .order_by(m.rank.desc(), T.c.id.desc()).limit(per_page).offset((page - 1) * per_page))
            hits = [_hit(r) for r in db.session.execute(stmt)]
    elif found:
        cols = [T.c.kind, T.c.object_id, T.c.url, T.c.published_at, T.c.title, T.c.body]
        n = sa.func.row_number().over(partition_by=T.c.kind, order_by=(m.rank.desc(), T.c.id.desc())).label("n")
        if m.pg:
            inner = sa.select(*cols, n).select_from(m.source).where(*filters).subquery()
            htitle, snip = m.snippets(inner.c.title, inner.c.body)
            stmt = sa.select(inner.c.kind, inner.c.object_id, inner.c.url, inner.c.published_at,
                             htitle.label("htitle"), snip.label("snip")).where(inner.c.n <= per_group)
        else:
            # FTS5's highlight() and snippet() refuse a subquery with a window:
            # rank in one, then highlight the chosen rows in the MATCH's own SELECT.
            inner = sa.select(T.c.id, n).select_from(m.source).where(*filters).subquery()
            chosen = sa.select(inner.c.id).where(inner.c.n <= per_group)
            htitle, snip = m.snippets(T.c.title, T.c.body)
            stmt = (sa.select(T.c.kind, T.c.object_id, T.c.url, T.c.published_at, htitle.label("htitle"),
                              snip.label("snip"))
                    .select_from(m.source).where(*filters, T.c.id.in_(chosen))
                    .order_by(T.c.kind, m.rank.desc(), T.c.id.desc()))
        by_kind: dict[str, list] = {}
        if m.pg:
            stmt = stmt.order_by(inner.c.kind, inner.c.n)
        for r in db.session.execute(stmt):
            by_kind.setdefault(r.kind, []).append(_hit(r))
        groups = [Group(k, label, count, by_kind.get(k, [])) for k, label, count in counts]
    return Results(q, kind, district_id, counts, total, groups, hits, page, pages)


def districts() -> list:
    """``(id, name)`` of every district, for the filter."""
    return db.session.execute(sa.select(District.id, District.name).order_by(District.name)).all()
