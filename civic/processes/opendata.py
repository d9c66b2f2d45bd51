"""The processes' open dataset (issue 20): every public proposal with its
supports and official answer, read with the same service as the proposals'
CSV. Authors appear by their public display name, as on the site."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from civic.core.datasets import Activity, Dataset, Field, month_of, register_activity, register_dataset
from civic.extensions import db
from civic.processes import services
from civic.processes.models import Process, Proposal, ProposalState, Support

CHUNK = 500


def _author(p) -> str | None:
    a = p.author
    return a.display_name if a is not None and getattr(a, "deleted_at", None) is None else None


def proposal_rows():
    before = None
    while True:
        # Keyset pages (below the last id read): an OFFSET made 100,000 rows take 77 times the floor.
        chunk, has_next = services.list_proposals(None, None, order="id", before_id=before, limit=CHUNK)
        progress = services.latest_progress([p.id for p in chunk])
        for p in chunk:
            yield (p.id, p.process_id, p.title, p.district.code if p.district else None, p.category, p.state.value,
                   p.support_count, p.comment_count, _author(p), p.created_at, p.answer_due_at, p.answered_at,
                   p.answer, progress.get(p.id), url_for("processes.proposal", proposal_id=p.id, _external=True))
        if not has_next:
            return
        before = chunk[-1].id


def _updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Proposal.edited_at, Proposal.state_changed_at)))
                             .join(Process, Process.id == Proposal.process_id)
                             .where(Process.published_at.is_not(None), Proposal.hidden.is_(False)))


def support_counts():
    m = month_of(Support.created_at)
    return db.session.execute(sa.select(m, Proposal.district_id, sa.func.count()).select_from(Support)
                              .join(Proposal, Proposal.id == Support.proposal_id)
                              .group_by(m, Proposal.district_id)).all()


def register() -> None:
    register_activity(Activity(
        "proposal_supports", "Proposal supports", "Soutiens aux propositions",
        "current supports of proposals, in the month given, in the proposal's district (a supporter's own "
        "district is not known).",
        "soutiens actuels aux propositions, au mois où ils ont été donnés, dans le quartier de la proposition "
        "(le quartier de la personne n'est pas connu).", support_counts))
    register_dataset(Dataset(
        name="proposals", kind="proposal",
        title_en="Proposals of participatory processes", title_fr="Propositions des démarches participatives",
        description_en="Every public proposal of every published process, with its supports, state and the "
                       "city's official answer.",
        description_fr="Toutes les propositions publiques des démarches publiées, avec leurs soutiens, leur état "
                       "et la réponse officielle de la ville.",
        method_en="support_count is the number of people who support the proposal now (a withdrawn support is "
                  "not counted); comment_count counts visible comments. Proposals hidden by moderation and "
                  "proposals of draft processes are not published. Newest first (by decreasing identifier).",
        method_fr="support_count est le nombre de personnes qui soutiennent la proposition à cet instant (un "
                  "soutien retiré n'est plus compté) ; comment_count compte les commentaires visibles. Les "
                  "propositions masquées par la modération et celles des démarches en brouillon ne sont pas "
                  "publiées. Les plus récentes d'abord (par identifiant décroissant).",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True, "minimum": 1}),
                Field("process_id", "integer", "Identifier of the process", "Identifiant de la démarche",
                      {"required": True}),
                Field("title", "string", "Title", "Titre", {"required": True}),
                Field("district", "string", "District code", "Code du quartier"),
                Field("category", "string", "Category", "Catégorie"),
                Field("state", "string", "State", "État",
                      {"required": True, "enum": [s.value for s in ProposalState]}),
                Field("support_count", "integer", "Supports", "Soutiens", {"required": True, "minimum": 0}),
                Field("comment_count", "integer", "Visible comments", "Commentaires visibles",
                      {"required": True, "minimum": 0}),
                Field("author", "string", "Author's public display name (empty: account deleted)",
                      "Nom public de l'auteur (vide : compte supprimé)"),
                Field("published_at", "datetime", "Published (UTC)", "Publication (UTC)", {"required": True}),
                Field("answer_due_at", "datetime", "Official answer due (UTC)", "Réponse officielle due (UTC)"),
                Field("answered_at", "datetime", "Answered (UTC)", "Réponse (UTC)"),
                Field("official_answer", "string", "The official answer", "La réponse officielle"),
                Field("implementation_progress", "integer", "Progress of the implementation, in percent",
                      "Avancement de la réalisation, en pourcentage", {"minimum": 0, "maximum": 100}),
                Field("url", "string", "Page of the proposal", "Page de la proposition", {"required": True})),
        rows=proposal_rows, updated_at=_updated_at, bulk=True, shown_at=("processes.proposals", "processes.proposal"),
        changelog=(("2026-12-03", "Première publication. / First publication."),)))
