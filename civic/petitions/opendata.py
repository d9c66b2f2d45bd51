"""The petitions' open datasets (issue 20): the public list and the tallied
signatures by district, from the same queries as the pages and the CSV.
Never a signer: only counts, which survive the signers' anonymisation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from civic.accounts.models import District
from civic.core.datasets import Activity, Dataset, Field, month_of, register_activity, register_dataset
from civic.core.export import chunked
from civic.extensions import db
from civic.petitions import queries
from civic.petitions.models import DistrictCount, Petition, PetitionState, Signature

LISTED = (PetitionState.OPEN, PetitionState.CLOSED)
CHUNK = 1000


def _updated_at():
    return db.session.scalar(sa.select(sa.func.max(sa.func.coalesce(Petition.tallied_at, Petition.updated_at)))
                             .where(Petition.state.in_(LISTED)))


def petition_rows():
    for p in chunked(db.session, queries.list_stmt(), CHUNK):
        yield (p.id, p.title, p.state.value, p.topic, p.district.code if p.district else None,
               p.signature_count, p.paper_count, p.opened_at, p.closes_at, p.closed_at,
               p.response_threshold, p.response_threshold_at, p.response_due_at,
               url_for("petitions.detail", petition_id=p.id, _external=True))


def district_rows():
    # A few rows per petition (one per district reached): read in one ordered query.
    stmt = (sa.select(DistrictCount.petition_id, District.code, DistrictCount.count)
            .join(Petition, Petition.id == DistrictCount.petition_id)
            .outerjoin(District, District.id == DistrictCount.district_id)
            .where(Petition.state.in_(LISTED), DistrictCount.count > 0)
            .order_by(DistrictCount.petition_id, DistrictCount.id))
    for row in db.session.execute(stmt.execution_options(yield_per=CHUNK)):
        yield tuple(row)


ID = Field("petition_id", "integer", "Identifier of the petition", "Identifiant de la pétition",
           {"required": True, "minimum": 1})
DISTRICT = Field("district", "string", "District code (empty: outside every district)",
                 "Code du quartier (vide : hors des quartiers)")
COUNT = {"required": True, "minimum": 0}


def signature_counts():
    m = month_of(sa.func.coalesce(Signature.validated_at, Signature.created_at))
    return db.session.execute(sa.select(m, Signature.district_id, sa.func.count())
                              .where(Signature.counted.is_(True))
                              .group_by(m, Signature.district_id)).all()


def register() -> None:
    register_activity(Activity(
        "petition_signatures", "Petition signatures", "Signatures de pétitions",
        "counted signatures (online when confirmed, paper when entered), in the signer's district by postcode.",
        "signatures comptées (en ligne à leur confirmation, papier à leur saisie), dans le quartier du "
        "signataire d'après son code postal.", signature_counts))
    register_dataset(Dataset(
        name="petitions", kind="petition",
        title_en="Petitions", title_fr="Pétitions",
        description_en="Every petition open or closed for signatures, with its signature counts and deadlines.",
        description_fr="Toutes les pétitions ouvertes ou closes, avec leurs nombres de signatures et leurs échéances.",
        method_en="Counts are tallied from confirmed signatures every few seconds; signatures flagged by the "
                  "rate limits are never counted. Paper signatures entered by mediators are counted separately "
                  "(paper_count) and included in signature_count. Drafts, petitions under moderation, rejected "
                  "and removed petitions are not published.",
        method_fr="Les nombres sont comptés à partir des signatures confirmées, à quelques secondes près ; les "
                  "signatures signalées par les limites de débit ne sont jamais comptées. Les signatures papier "
                  "saisies par les médiateurs sont comptées à part (paper_count) et incluses dans "
                  "signature_count. Les brouillons, les pétitions en modération, refusées ou retirées ne sont "
                  "pas publiés.",
        fields=(Field("id", "integer", "Identifier", "Identifiant", {"required": True, "minimum": 1}),
                Field("title", "string", "Title", "Titre", {"required": True}),
                Field("state", "string", "State", "État", {"required": True, "enum": [s.value for s in LISTED]}),
                Field("topic", "string", "Topic code", "Code du thème"),
                Field("district", "string", "District code", "Code du quartier"),
                Field("signature_count", "integer", "Counted signatures (online and paper)",
                      "Signatures comptées (en ligne et papier)", COUNT),
                Field("paper_count", "integer", "Of which paper signatures", "Dont signatures papier", COUNT),
                Field("opened_at", "datetime", "Opened for signatures (UTC)", "Ouverture aux signatures (UTC)"),
                Field("closes_at", "datetime", "Closing moment (UTC, exclusive)", "Clôture prévue (UTC, exclue)"),
                Field("closed_at", "datetime", "Closed (UTC)", "Clôture effective (UTC)"),
                Field("response_threshold", "integer", "Signatures that oblige an official response",
                      "Signatures qui obligent à une réponse officielle", {"minimum": 0}),
                Field("response_threshold_at", "datetime", "Threshold reached (UTC)", "Seuil atteint (UTC)"),
                Field("response_due_at", "datetime", "Official response due (UTC)", "Réponse officielle due (UTC)"),
                Field("url", "string", "Page of the petition", "Page de la pétition", {"required": True})),
        rows=petition_rows, updated_at=_updated_at, shown_at=("petitions.index",),
        changelog=(("2026-12-03", "Première publication. / First publication."),)))
    register_dataset(Dataset(
        name="petition-signatures-by-district", kind="petition",
        title_en="Petition signatures by district", title_fr="Signatures des pétitions par quartier",
        description_en="For each published petition, the counted signatures from each district.",
        description_fr="Pour chaque pétition publiée, les signatures comptées venant de chaque quartier.",
        method_en="Each signature is placed in a district by the postcode its signer gave; a postcode outside "
                  "every district gives an empty district. The counts are kept when the signers' personal data "
                  "is erased at the end of its retention period. Districts with no signature are left out.",
        method_fr="Chaque signature est placée dans un quartier d'après le code postal donné ; un code postal hors "
                  "des quartiers donne un quartier vide. Les nombres sont conservés quand les données "
                  "personnelles des signataires sont effacées à la fin de leur durée de conservation. Les "
                  "quartiers sans signature sont omis.",
        fields=(ID, DISTRICT, Field("signatures", "integer", "Counted signatures", "Signatures comptées", COUNT)),
        rows=district_rows, updated_at=_updated_at, shown_at=("petitions.detail",),
        changelog=(("2026-12-03", "Première publication. / First publication."),)))
