"""Deliberation's open datasets (issue 20): the debates, and every public
comment on any kind with its text. Authors appear by their public display
name only, as the comment threads show them; hidden and deleted comments,
and comments on items a visitor may not see, are left out."""

from __future__ import annotations

import sqlalchemy as sa

from civic.accounts.models import District
from civic.core import content
from civic.core.datasets import Activity, Dataset, Field, month_of, register_activity, register_dataset
from civic.core.errors import NotFound
from civic.core.export import chunked
from civic.core.urls import absolute_url
from civic.extensions import db

from .models import Alignment, Comment, Debate, DebateState

CHUNK = 1000


def _visible_comments():
    return sa.select(Comment).where(Comment.hidden_at.is_(None), Comment.deleted_at.is_(None))


def debate_rows():
    counts = dict(db.session.execute(
        _visible_comments().with_only_columns(Comment.object_id, sa.func.count())
        .where(Comment.kind == "debate").group_by(Comment.object_id)).all())
    codes = dict(db.session.execute(sa.select(District.id, District.code)).all())
    for d in chunked(db.session, sa.select(Debate).where(Debate.hidden_at.is_(None)), CHUNK):
        yield (d.id, d.title, codes.get(d.district_id), d.state.value,
               d.created_at, d.ends_at, d.closed_at, counts.get(d.id, 0),
               absolute_url("deliberation.debate", debate_id=d.id))


def comment_rows():
    visible: dict[tuple[str, int], bool] = {}  # (kind, id) of commented items -> visible to anyone

    def item_visible(kind_name: str, object_id: int) -> bool:
        key = (kind_name, object_id)
        if key not in visible:
            try:
                kind = content.get_kind(kind_name)
            except NotFound:
                visible[key] = False
            else:
                obj = db.session.get(kind.model, object_id)
                visible[key] = obj is not None and bool(kind.can_view(None, obj))
        return visible[key]

    for c in chunked(db.session, _visible_comments(), CHUNK):
        if not item_visible(c.kind, c.object_id):
            continue
        author = c.author if c.author is not None and c.author.deleted_at is None else None
        yield (c.id, c.kind, c.object_id, c.parent_id, c.created_at, c.edited_at,
               c.alignment.value if c.alignment else None, c.is_official_answer,
               author.display_name if author else None, c.body_source)


def _comments_updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Comment.edited_at, Comment.created_at))))


def _debates_updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Debate.closed_at, Debate.created_at))))


FIRST = (("2026-12-03", "Première publication. / First publication."),)


def comment_counts():
    m = month_of(Comment.created_at)
    rows = db.session.execute(sa.select(m, sa.func.count()).where(Comment.deleted_at.is_(None),
                                                                  Comment.hidden_at.is_(None)).group_by(m)).all()
    return [(month, None, n) for month, n in rows]


def register() -> None:
    register_activity(Activity(
        "comments", "Comments", "Commentaires",
        "visible comments on every kind of item, for the whole city (an item's district is not counted).",
        "commentaires visibles sur tous les contenus, pour toute la ville (sans quartier).", comment_counts))
    register_dataset(Dataset(
        name="debates", kind="debate", title_en="Debates", title_fr="Débats",
        description_en="Every public debate, its state, dates and number of visible comments.",
        description_fr="Tous les débats publics, leur état, leurs dates et leur nombre de commentaires visibles.",
        method_en="comment_count counts the comments visible on the debate page now (neither deleted by their "
                  "author nor hidden by moderation). Debates hidden by moderation are not published.",
        method_fr="comment_count compte les commentaires visibles aujourd'hui sur la page du débat (ni supprimés "
                  "par leur auteur, ni masqués par la modération). Les débats masqués par la modération ne sont "
                  "pas publiés.",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True, "minimum": 1}),
                Field("title", "string", "Title", "Titre", {"required": True}),
                Field("district", "string", "District code (empty: the whole city)",
                      "Code du quartier (vide : toute la ville)"),
                Field("state", "string", "State", "État", {"required": True,
                                                            "enum": [s.value for s in DebateState]}),
                Field("opened_at", "datetime", "Opened (UTC)", "Ouverture (UTC)", {"required": True}),
                Field("ends_at", "datetime", "Planned end (UTC)", "Fin prévue (UTC)"),
                Field("closed_at", "datetime", "Closed with a conclusion (UTC)", "Clos avec une conclusion (UTC)"),
                Field("comment_count", "integer", "Visible comments", "Commentaires visibles",
                      {"required": True, "minimum": 0}),
                Field("url", "string", "Page of the debate", "Page du débat", {"required": True})),
        rows=debate_rows, updated_at=_debates_updated_at, shown_at=("deliberation.index", "deliberation.debate"),
        changelog=FIRST))
    register_dataset(Dataset(
        name="comments", kind="comment", title_en="Comments", title_fr="Commentaires",
        description_en="Every public comment, on debates, petitions, proposals and the other items, with its "
                       "text, its side and its author's public name.",
        description_fr="Tous les commentaires publics, sur les débats, pétitions, propositions et autres "
                       "contenus, avec leur texte, leur position et le nom public de leur auteur.",
        method_en="Comments deleted by their author, hidden by moderation, or on an item that is not public "
                  "are left out; a reply may therefore point at a parent that is not in the file. The author "
                  "is the display name shown on the site (empty once the account is deleted); no other data "
                  "about people is published. The text is the author's Markdown source, after moderation's "
                  "redactions.",
        method_fr="Les commentaires supprimés par leur auteur, masqués par la modération ou portant sur un "
                  "contenu non public sont omis : une réponse peut donc désigner un parent absent du fichier. "
                  "L'auteur est le nom affiché sur le site (vide une fois le compte supprimé) ; aucune autre "
                  "donnée sur les personnes n'est publiée. Le texte est la source Markdown de l'auteur, après "
                  "les retraits faits par la modération.",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True, "minimum": 1}),
                Field("item_kind", "string", "Kind of the commented item (debate, petition, proposal...)",
                      "Type du contenu commenté (debate, petition, proposal...)", {"required": True}),
                Field("item_id", "integer", "Identifier of the commented item", "Identifiant du contenu commenté",
                      {"required": True}),
                Field("parent_id", "integer", "The comment this one answers", "Le commentaire auquel il répond"),
                Field("created_at", "datetime", "Written (UTC)", "Écrit (UTC)", {"required": True}),
                Field("edited_at", "datetime", "Last edited (UTC)", "Dernière modification (UTC)"),
                Field("alignment", "string", "Side taken, where the item has sides", "Position, quand le contenu "
                      "en a", {"enum": [a.value for a in Alignment]}),
                Field("official_answer", "boolean", "Marked as the official answer",
                      "Marqué comme réponse officielle", {"required": True}),
                Field("author", "string", "Author's public display name", "Nom public de l'auteur"),
                Field("text", "string", "Text (Markdown)", "Texte (Markdown)")),
        rows=comment_rows, updated_at=_comments_updated_at, bulk=True, shown_at=("deliberation.debate",), changelog=FIRST))
