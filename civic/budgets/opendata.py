"""The budgets' open datasets (issue 20): projects, turnout by district
envelope, and the published results (aggregated votes per project), read
with the services behind the budgets API. Never a voter nor a ballot: the
anonymised ballots are the pabulib files each results row links to."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from civic.core.datasets import Activity, Dataset, Field, month_of, register_activity, register_dataset
from civic.core.urls import absolute_url
from civic.extensions import db

from . import services
from .models import Ballot, BudgetEdition, Envelope, Project, ProjectStatus, ResultsStatus

# Turnout is public from the voting phase on (as in the API), never the running results.
TURNOUT_PHASES = ("voting", "results", "implementation")
NON_NEGATIVE = {"required": True, "minimum": 0}


def _editions(published_results: bool = False) -> list[BudgetEdition]:
    stmt = (sa.select(BudgetEdition).where(BudgetEdition.published_at.is_not(None))
            .options(selectinload(BudgetEdition.envelopes).selectinload(Envelope.district))
            .order_by(BudgetEdition.id))
    if published_results:
        stmt = stmt.where(BudgetEdition.results_status == ResultsStatus.PUBLISHED)
    return db.session.scalars(stmt).all()


def _code(envelope) -> str | None:
    return envelope.district.code if envelope.district else None


def project_rows():
    for e in _editions():
        codes = {v.id: _code(v) for v in e.envelopes}
        for p in db.session.scalars(services.visible_projects_query(e.id).order_by(Project.id)):
            yield (p.id, e.id, e.title, p.envelope_id, codes.get(p.envelope_id), p.title, p.category or None,
                   p.location or None, p.estimated_cost, p.cost, p.status.value, p.selected,
                   p.implementation_status.value if p.implementation_status else None, p.progress,
                   absolute_url("budgets.project", project_id=p.id))


def turnout_rows():
    for e in _editions():
        if services.current_phase_code(e) not in TURNOUT_PHASES:
            continue
        for t in services.turnout(e):
            v = t["envelope"]
            yield (e.id, e.title, v.id, _code(v), t["ballots"], t["eligible"], t["percent"])


def result_rows():
    for e in _editions(published_results=True):
        results = services.results_for(e)
        titles = dict(db.session.execute(sa.select(Project.id, Project.title).where(
            Project.edition_id == e.id, Project.hidden.is_(False))).all())
        for v in e.envelopes:
            r = results.get(v.id, {}).get(e.selection_rule)
            if r is None:
                continue
            pabulib = absolute_url("api.api_budget_pabulib", edition_id=e.id, envelope=v.id)
            selected = {int(x) for x in r.selected}
            for pid in sorted(int(x) for x in r.scores):
                yield (e.id, v.id, _code(v), pid, titles.get(pid), e.selection_rule.value, r.scores[str(pid)],
                       r.supporters.get(str(pid), 0), pid in selected, r.ballots, pabulib)


def _updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Ballot.updated_at, Ballot.created_at))))


def _results_updated_at():
    return db.session.scalar(sa.select(sa.func.max(BudgetEdition.results_published_at)))


def _projects_updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Project.reviewed_at, Project.created_at))))


EDITION = Field("edition_id", "integer", "Identifier of the budget edition", "Identifiant de l'édition du budget",
                {"required": True})
ENVELOPE = Field("envelope_id", "integer", "Identifier of the envelope", "Identifiant de l'enveloppe",
                 {"required": True})
DISTRICT = Field("district", "string", "District code of the envelope (empty: the whole city)",
                 "Code du quartier de l'enveloppe (vide : toute la ville)")
FIRST = (("2026-12-03", "Première publication. / First publication."),)


def ballot_counts():
    m = month_of(Ballot.created_at)
    return db.session.execute(sa.select(m, Envelope.district_id, sa.func.count()).select_from(Ballot)
                              .join(Envelope, Envelope.id == Ballot.envelope_id)
                              .group_by(m, Envelope.district_id)).all()


def register() -> None:
    register_activity(Activity(
        "budget_ballots", "Participatory budget ballots", "Bulletins du budget participatif",
        "ballots (online and paper), in the month first cast, in the envelope's district (empty for a "
        "city-wide envelope).",
        "bulletins (en ligne et papier), au mois de leur premier dépôt, dans le quartier de l'enveloppe (vide "
        "pour une enveloppe de toute la ville).", ballot_counts))
    register_dataset(Dataset(
        name="budget-projects", kind="project",
        title_en="Participatory budget projects", title_fr="Projets du budget participatif",
        description_en="Every public project of every published edition: costs, review status, selection and "
                       "implementation progress.",
        description_fr="Tous les projets publics des éditions publiées : coûts, statut d'examen, sélection et "
                       "avancement de la réalisation.",
        method_en="cost is the city's final cost once the project was reviewed, otherwise the estimate; it is "
                  "the cost the vote uses. selected is empty until results are computed. Projects hidden by "
                  "moderation are not published.",
        method_fr="cost est le coût final de la ville une fois le projet examiné, sinon l'estimation : c'est le "
                  "coût que le vote utilise. selected est vide tant que les résultats ne sont pas calculés. Les "
                  "projets masqués par la modération ne sont pas publiés.",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True, "minimum": 1}), EDITION,
                Field("edition", "string", "Title of the edition", "Titre de l'édition", {"required": True}),
                ENVELOPE, DISTRICT,
                Field("title", "string", "Title", "Titre", {"required": True}),
                Field("category", "string", "Category", "Catégorie"),
                Field("location", "string", "Location", "Lieu"),
                Field("estimated_cost", "integer", "Estimated cost (currency of the edition)",
                      "Coût estimé (monnaie de l'édition)", NON_NEGATIVE),
                Field("cost", "integer", "Cost used by the vote", "Coût retenu pour le vote", NON_NEGATIVE),
                Field("status", "string", "Review status", "Statut d'examen",
                      {"required": True, "enum": [s.value for s in ProjectStatus]}),
                Field("selected", "boolean", "Funded by the vote", "Financé par le vote"),
                Field("implementation_status", "string", "Implementation status", "État de la réalisation"),
                Field("progress", "integer", "Implementation progress, in percent",
                      "Avancement de la réalisation, en pourcentage", {"minimum": 0, "maximum": 100}),
                Field("url", "string", "Page of the project", "Page du projet", {"required": True})),
        rows=project_rows, updated_at=_projects_updated_at, shown_at=("budgets.edition", "budgets.project"),
        changelog=FIRST))
    register_dataset(Dataset(
        name="budget-turnout", kind="budget",
        title_en="Participatory budget turnout by district", title_fr="Participation au budget participatif par "
                                                                      "quartier",
        description_en="Ballots cast in each envelope (district or whole city) and the share of verified "
                       "residents who voted, from the voting phase on.",
        description_fr="Bulletins déposés dans chaque enveloppe (quartier ou toute la ville) et part des "
                       "habitants vérifiés qui ont voté, à partir de la phase de vote.",
        method_en="ballots counts one ballot per person and envelope (online and paper; a changed ballot counts "
                  "once). eligible is the number of residents with an active verification in the envelope's "
                  "district (the whole city for a city envelope) at the time of the download, not at the time "
                  "of the vote, so percent is an approximation for past editions. Running results are never "
                  "published before the vote closes.",
        method_fr="ballots compte un bulletin par personne et par enveloppe (en ligne et papier ; un bulletin "
                  "modifié compte une fois). eligible est le nombre d'habitants ayant une vérification active "
                  "dans le quartier de l'enveloppe (toute la ville pour une enveloppe de ville) au moment du "
                  "téléchargement, pas au moment du vote : percent est donc une approximation pour les "
                  "éditions passées. Les résultats ne sont jamais publiés avant la fin du vote.",
        fields=(EDITION, Field("edition", "string", "Title of the edition", "Titre de l'édition"), ENVELOPE,
                DISTRICT, Field("ballots", "integer", "Ballots", "Bulletins", NON_NEGATIVE),
                Field("eligible", "integer", "Verified residents", "Habitants vérifiés", NON_NEGATIVE),
                Field("percent", "number", "Turnout, in percent of verified residents",
                      "Participation, en pourcentage des habitants vérifiés", {"minimum": 0})),
        rows=turnout_rows, updated_at=_updated_at, shown_at=("budgets.edition",), changelog=FIRST))
    register_dataset(Dataset(
        name="budget-results", kind="budget",
        title_en="Participatory budget results", title_fr="Résultats du budget participatif",
        description_en="For each published edition and envelope, each project's score under the edition's "
                       "rule, its supporters and whether it is funded; with a link to the anonymised ballots "
                       "(pabulib file).",
        description_fr="Pour chaque édition publiée et chaque enveloppe, le score de chaque projet selon la "
                       "règle de l'édition, ses soutiens et s'il est financé ; avec un lien vers les bulletins "
                       "anonymisés (fichier pabulib).",
        method_en="Computed by the rules engine from the ballots once the vote closed, and published by an "
                  "official. score depends on the rule (approvals, points, Borda); supporters counts the ballots "
                  "that include the project. The pabulib file has every ballot without any voter, so the "
                  "results can be recomputed independently.",
        method_fr="Calculés par le moteur de règles à partir des bulletins après la fin du vote, puis publiés "
                  "par un élu ou agent. score dépend de la règle (approbations, points, Borda) ; supporters "
                  "compte les bulletins qui contiennent le projet. Le fichier pabulib contient tous les "
                  "bulletins sans aucun votant : les résultats peuvent être recalculés indépendamment.",
        fields=(EDITION, ENVELOPE, DISTRICT,
                Field("project_id", "integer", "Identifier of the project", "Identifiant du projet",
                      {"required": True}),
                Field("project", "string", "Title of the project", "Titre du projet"),
                Field("rule", "string", "Selection rule", "Règle de sélection", {"required": True}),
                Field("score", "number", "Score under the rule", "Score selon la règle", {"required": True}),
                Field("supporters", "integer", "Ballots including the project",
                      "Bulletins qui contiennent le projet", NON_NEGATIVE),
                Field("selected", "boolean", "Funded", "Financé", {"required": True}),
                Field("ballots", "integer", "Ballots of the envelope", "Bulletins de l'enveloppe", NON_NEGATIVE),
                Field("pabulib_url", "string", "Anonymised ballots (pabulib .pb file)",
                      "Bulletins anonymisés (fichier pabulib .pb)", {"required": True})),
        rows=result_rows, updated_at=_results_updated_at, shown_at=("budgets.results",), changelog=FIRST))
