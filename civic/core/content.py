"""Registry of participatory kinds.

Generic features (comments, reports, follows, official answers, audit entries,
the accountability page, "open now" on the home page) point at ``(kind, id)``
and reach the domain object through this registry, never through imports of
domain packages. A new kind registers once and gets them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import NotFound


def _always(_user, _obj) -> bool:
    return True


@dataclass
class ContentKind:
    """How generic features reach one participatory kind.

    name: the stable identifier stored in ``kind`` columns ("petition").
    model: the SQLAlchemy model; objects are loaded by primary key.
    label: callable returning the translated human name ("Petition").
    title(obj) / url(obj): what to show and where to link.
    can_view(user, obj): whether ``user`` (possibly anonymous) may see it.
    author_id(obj), district_id(obj): for reports, moderation scopes, statistics.
    hooks: optional named callables other modules look up with :func:`hook`
      (e.g. "hide", "unhide", "owed_answers", "comments_open").
    """

    name: str
    model: Any
    label: Callable[[], str]
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    can_view: Callable[[Any, Any], bool] = _always
    author_id: Callable[[Any], int | None] = lambda obj: getattr(obj, "author_id", None)
    district_id: Callable[[Any], int | None] = lambda obj: getattr(obj, "district_id", None)
    hooks: dict[str, Callable] = field(default_factory=dict)


_KINDS: dict[str, ContentKind] = {}
_HOME_SECTIONS: list[Callable] = []


def register_kind(kind: ContentKind) -> ContentKind:
    """Register (or re-register, for app factories called twice) a kind."""
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ContentKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise NotFound() from None


def kinds() -> list[ContentKind]:
    return list(_KINDS.values())


def load(kind_name: str, obj_id: int, user=None, *, check_visible: bool = True):
    """Load ``(kind, id)``; NotFound if missing or not visible to ``user``."""
    from civic.extensions import db

    kind = get_kind(kind_name)
    obj = db.session.get(kind.model, obj_id)
    if obj is None or (check_visible and not kind.can_view(user, obj)):
        raise NotFound()
    return kind, obj


def hook(kind_name: str, name: str) -> Callable | None:
    kind = _KINDS.get(kind_name)
    return kind.hooks.get(name) if kind else None


def kind_of(obj) -> ContentKind | None:
    for kind in _KINDS.values():
        if isinstance(obj, kind.model):
            return kind
    return None


def register_home_section(fn: Callable) -> None:
    """``fn(user) -> dict | None`` describing what is open for participation
    now in one module: ``{"title", "intro", "items": [{"title", "url", "detail"}], "more_url"}``."""
    if fn not in _HOME_SECTIONS:
        _HOME_SECTIONS.append(fn)


def home_sections(user) -> list[dict]:
    sections = []
    for fn in _HOME_SECTIONS:
        section = fn(user)
        if section and section.get("items"):
            sections.append(section)
    return sections


# --- the town-hall counter: where a mediator can record something on paper ----

_COUNTER_SECTIONS: list[Callable] = []


def register_counter_section(fn: Callable) -> None:
    """``fn(user) -> dict | None``: the open places where ``user`` (a
    mediator) can record something for a person in one module (paper
    signatures, ballots, answers): ``{"title", "items": [{"title", "url",
    "detail"}]}``, already limited to what the user may do."""
    if fn not in _COUNTER_SECTIONS:
        _COUNTER_SECTIONS.append(fn)


def counter_sections(user) -> list[dict]:
    return [section for section in (fn(user) for fn in _COUNTER_SECTIONS) if section and section.get("items")]


# --- panels: generic sections shown on every item's page ---------------------

_PANELS: list[tuple[int, Callable]] = []


def register_panel(fn: Callable, order: int = 50) -> None:
    """``fn(kind_name, obj, user) -> Markup | str | None``: a section that
    another module adds to every item's page (comments, report link, follow
    button). Domain templates call ``{{ panels("petition", petition) }}`` once,
    at the end of the item's page, and know nothing of what is inside."""
    if all(f is not fn for _o, f in _PANELS):
        _PANELS.append((order, fn))


def render_panels(kind_name: str, obj) -> str:
    from flask_login import current_user
    from markupsafe import Markup

    parts = []
    for _order, fn in sorted(_PANELS, key=lambda p: p[0]):
        html = fn(kind_name, obj, current_user)
        if html:
            parts.append(str(html))
    return Markup("\n".join(parts))


# --- what other modules offer for an item's official conclusion ------------------

_SUMMARIES: list[Callable] = []


def register_summary(fn: Callable) -> None:
    """``fn(kind_name, obj) -> str | None``: Markdown another module offers to
    the official who writes an item's conclusion or follow-up (the
    conversations' consensus and divisive statements). The form starts with
    it; the official edits it before publishing."""
    if fn not in _SUMMARIES:
        _SUMMARIES.append(fn)


def summaries(kind_name: str, obj) -> str:
    """Every registered module's summary of ``obj``, as one Markdown text ("" if none)."""
    return "\n\n".join(text for text in (fn(kind_name, obj) for fn in _SUMMARIES) if text)


# --- opinion groups found for an item ------------------------------------------------

_GROUP_SOURCES: list[Callable] = []


def register_opinion_groups(fn: Callable) -> None:
    """``fn(kind_name, object_id) -> dict[user_id, group] | None``: the opinion
    groups a module inferred for the people taking part in an item (the
    conversations' groups). Deliberation's "most constructive" order bridges
    them instead of the sides people declare."""
    if fn not in _GROUP_SOURCES:
        _GROUP_SOURCES.append(fn)


def opinion_groups(kind_name: str, object_id: int) -> dict | None:
    """The first registered source's groups for the item, or None."""
    for fn in _GROUP_SOURCES:
        found = fn(kind_name, object_id)
        if found:
            return found
    return None


# --- creation listeners ----------------------------------------------------------

_CREATED: list[Callable] = []


def register_created_listener(fn: Callable) -> None:
    """``fn(kind_name, obj, actor)`` runs in the transaction when a module
    creates a participatory item (moderation uses it for pre-moderation)."""
    if fn not in _CREATED:
        _CREATED.append(fn)


def created(kind_name: str, obj, actor=None) -> None:
    """Domain services call this right after creating (and flushing) an item."""
    for fn in _CREATED:
        fn(kind_name, obj, actor)


# --- the back office (/admin): spaces, what needs doing, what to create ----------------
# Three kind hooks feed it (docs/architecture.md, "Content kinds and their hooks"):
# ``admin_spaces(actor) -> list[dict]``, ``attention(actor) -> list[dict]`` and
# ``create_links(actor) -> list[(label, url)]``, each already limited to what the
# actor may manage, in a constant number of queries.

_ATTENTION_SOURCES: list[Callable] = []


def register_attention(fn: Callable) -> None:
    """``fn(actor) -> list[dict]``: what needs doing now in a module that is
    not a kind of its own (the moderation queue), rows shaped as the
    ``attention`` hook's."""
    if fn not in _ATTENTION_SOURCES:
        _ATTENTION_SOURCES.append(fn)


def _hooked(name: str) -> list[Callable]:
    return [kind.hooks[name] for kind in _KINDS.values() if callable(kind.hooks.get(name))]


def admin_spaces(actor) -> list[dict]:
    """Every space of every kind the actor may manage (``admin_spaces`` hooks)."""
    rows: list[dict] = []
    for fn in _hooked("admin_spaces"):
        rows.extend(fn(actor))
    return rows


def attention(actor) -> list[dict]:
    """What needs doing now, late first, then by due date (undated last)."""
    rows: list[dict] = []
    for fn in _hooked("attention") + _ATTENTION_SOURCES:
        rows.extend(fn(actor))
    return sorted(rows, key=lambda r: (not r.get("late"), r.get("due_at") is None, r.get("due_at") or 0,
                                       r.get("kind", ""), r.get("id") or 0))


def create_links(actor) -> list[tuple[str, str]]:
    """``(label, url)`` of each kind the actor may create (``create_links`` hooks)."""
    links: list[tuple[str, str]] = []
    for fn in _hooked("create_links"):
        links.extend(fn(actor))
    return links
