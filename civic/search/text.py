"""Pure text work of the search, without the database: what goes into a
document (plain text) and what comes out (a highlighted snippet that is safe
HTML whatever the item's text or the query held)."""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

# Highlight markers asked of the database (ts_headline, FTS5 snippet):
# private-use characters, stripped from every indexed text, so they can
# only come from the database's own highlighting.
START, STOP = "\ue000", "\ue001"

MAX_QUERY = 200  # characters of the query that are searched
MAX_TERMS = 12
MAX_BODY = 20000  # characters of an item's text that are indexed

_TAG = re.compile(r"<[^>]*>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\s)[#>*+-]+\s|[*_`~]+|^\s*\d+\.\s", re.M)
_SPACES = re.compile(r"\s+")
_PAIR = re.compile(START + "([^" + START + STOP + "]*)" + STOP)
_WORD = re.compile(r"\w+", re.UNICODE)


def plain(*texts: str | None, limit: int = MAX_BODY) -> str:
    """Markdown or HTML sources as one plain text: tags and Markdown marks
    dropped, entities decoded, spaces collapsed, markers removed."""
    out = []
    for text in texts:
        if not text:
            continue
        text = _TAG.sub(" ", text)
        text = html.unescape(text)
        text = _MD_LINK.sub(r"\1", text)
        text = _MD_MARKS.sub(" ", text)
        text = text.replace(START, "").replace(STOP, "").replace("\x00", "")
        out.append(_SPACES.sub(" ", text).strip())
    return " ".join(t for t in out if t)[:limit]


def normalise_query(q: str | None) -> str:
    """The query as searched: at most ``MAX_QUERY`` characters, no control characters."""
    q = "".join(ch for ch in (q or "") if ch.isprintable())
    return _SPACES.sub(" ", q).strip()[:MAX_QUERY]


def terms(q: str) -> list[str]:
    """The words of a query (letters and digits), at most ``MAX_TERMS``."""
    return _WORD.findall(q)[:MAX_TERMS]


def fts5_query(q: str) -> str | None:
    """A query for FTS5 MATCH that is never FTS syntax: each word quoted (a
    word holds no quote) and matched as a prefix, all of them required.
    None when the query has no word."""
    words = terms(q)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


_WEB_SYNTAX = re.compile(r'"|(^|\s)-\w|(^|\s)or(\s|$)', re.IGNORECASE)


def web_syntax(q: str) -> bool:
    """Whether the query uses the search-engine syntax PostgreSQL's
    ``websearch_to_tsquery`` reads ("quoted phrase", -excluded, OR)."""
    return bool(_WEB_SYNTAX.search(q))


def tsquery_prefixes(q: str) -> str | None:
    """A ``to_tsquery`` text that is never tsquery syntax: each word quoted
    (a word holds no quote) and matched as a prefix of the stemmed word
    ("velo" finds "vélos", which French stemming keeps as "velos"), all
    required. None when the query has no word."""
    words = terms(q)
    if not words:
        return None
    return " & ".join(f"'{w}':*" for w in words)


def highlight(snippet: str | None) -> Markup:
    """A snippet from the database with its markers turned into ``<mark>``,
    everything else escaped."""
    text = str(escape(snippet or ""))
    text = _PAIR.sub(r"<mark>\1</mark>", text)
    return Markup(text.replace(START, "").replace(STOP, ""))
