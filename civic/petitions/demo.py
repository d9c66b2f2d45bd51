"""Demo petitions for a Toulouse-like city: every state, one over the response
threshold with its published response, signatures spread over districts."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from civic.demo import register_demo

FIRST = ["Léa", "Hugo", "Chloé", "Lucas", "Manon", "Nathan", "Inès", "Karim", "Sarah", "Thomas", "Yasmine", "Jules",
         "Camille", "Mehdi", "Emma", "Louis", "Nour", "Paul", "Jade", "Rayan", "Zoé", "Antoine", "Lina", "Bastien",
         "Fatou", "Julien", "Margaux", "Sofiane", "Élise", "Mathis", "Aïcha", "Pierre", "Clémence", "Adrien"]
LAST = ["Martin", "Bernard", "Garcia", "Lopez", "Fernandez", "Durand", "Benali", "Roux", "Fabre", "Mercier",
        "Sanchez", "Cazeneuve", "Laborde", "Dupuy", "Ferrer", "Mouret", "Bousquet", "Nguyen", "Traoré", "Castex",
        "Soulié", "Rouquette", "Azoulay", "Pujol", "Delmas", "Couderc", "Barthe", "Vidal", "Mansour", "Esteve"]

# (key, title, background, details, topic, district code, decision maker)
PETITIONS = [
    ("piscine", "Rouvrir la piscine Alfred Nakache le dimanche",
     "Depuis la rentrée, la piscine Alfred Nakache ferme le dimanche. C'était le seul jour où beaucoup de familles "
     "et de salariés pouvaient nager. Nous demandons sa réouverture le dimanche matin toute l'année.",
     "La piscine municipale la plus proche ouverte le dimanche est à plus de 40 minutes en transports pour les "
     "habitants des Amidonniers. Les clubs de natation et les écoles ne l'occupent pas le dimanche : l'ouverture "
     "au public ne gênerait aucun créneau existant. Nous proposons 8 h – 13 h, avec un bassin réservé aux "
     "longueurs.", "sport", "T02", "Adjoint·e au maire chargé·e des sports"),
    ("fontaines", "Installer des fontaines à eau au jardin Raymond VI",
     "Le jardin Raymond VI accueille chaque été des milliers de promeneurs, d'enfants et de visiteurs des "
     "Abattoirs, mais il n'a aucun point d'eau potable. Nous demandons deux fontaines à boire accessibles.",
     "Les épisodes de canicule sont de plus en plus fréquents. Une fontaine près de l'aire de jeux et une à "
     "l'entrée côté allées Charles-de-Fitte suffiraient. Elles devront être utilisables en fauteuil roulant.",
     "environment", "T06", "Mairie de quartier Saint-Cyprien"),
    ("velo", "Sécuriser la piste cyclable de l'avenue de Muret",
     "La piste cyclable de l'avenue de Muret s'interrompt deux fois et les voitures s'y garent. Nous demandons "
     "une séparation physique continue entre la place du Fer-à-Cheval et le Pont-des-Catalans.",
     "Trois accidents impliquant des cyclistes ont eu lieu sur ce tronçon l'an dernier. Des potelets ou des "
     "bordures, et un contrôle du stationnement, rendraient l'axe sûr pour les collégiens.",
     "transport", "T15", "Toulouse Métropole, direction des mobilités"),
    ("ecole", "Planter des arbres dans la cour de l'école Bellefontaine",
     "La cour de l'école élémentaire de Bellefontaine est entièrement goudronnée et dépasse 45 °C en juin. Nous "
     "demandons qu'elle devienne une « cour oasis » avec des arbres et des zones de terre.",
     "", "education", "T17", None),
    ("mediatheque", "Ouvrir la médiathèque José Cabanis jusqu'à 22 h le samedi",
     "Les étudiants et les salariés manquent de lieux calmes et chauffés pour travailler le samedi soir. Nous "
     "demandons une ouverture de la médiathèque José Cabanis jusqu'à 22 h le samedi, au moins à titre d'essai.",
     "", "culture", "T04", "Adjoint·e au maire chargé·e de la culture"),
    ("trottinettes", "Interdire les trottinettes électriques dans toute la France",
     "Les trottinettes électriques sont dangereuses pour les piétons. Nous demandons leur interdiction sur tout "
     "le territoire national.", "", "transport", None, None),
    ("pub", "Découvrez la nouvelle salle de sport FitZone à Compans",
     "Profitez de -50 % sur votre abonnement à la salle FitZone, ouverte 7 j/7 ! Code promo PETITION50.",
     "", "sport", "T02", None),
    ("voisin", "Faire expulser le locataire du 12 rue des Lilas",
     "Le locataire du 12 rue des Lilas fait du bruit tous les soirs. Nous demandons son expulsion.",
     "", "safety", "T10", None),
    ("marche", "Créer un marché de producteurs place Arnaud-Bernard le mercredi",
     "Le quartier Arnaud-Bernard n'a pas de marché en semaine. Nous demandons un petit marché de producteurs "
     "locaux le mercredi après-midi, place Arnaud-Bernard.",
     "Une dizaine de producteurs du Lauragais et du Tarn-et-Garonne se sont dits intéressés. Le marché pourrait "
     "accepter les paiements en monnaie locale.", "social", "T01", "Mairie de Toulouse, service des marchés"),
    ("cours", "Ouvrir les cours d'école aux familles le week-end",
     "Dans plusieurs quartiers, les enfants n'ont pas d'espace de jeu proche. Nous demandons que des cours "
     "d'école soient ouvertes aux familles le samedi et le dimanche, avec un gardien.",
     "", "education", None, None),
    ("bancs", "Ajouter des bancs le long du canal du Midi",
     "Entre Ponts-Jumeaux et Port Saint-Sauveur, il n'y a presque aucun banc. Les personnes âgées ne peuvent "
     "pas s'y promener sans pause.", "", "housing", "T08", None),
]


def _signers(rng, n, districts, petition_id, start, end, *, validated=True, paper=0):
    codes = list(districts)
    weights = [rng.choice((1, 2, 3, 5, 8)) for _ in codes]
    rows = []
    span = max(1, int((end - start).total_seconds()))
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        outside = rng.random() < 0.08
        d = None if outside else districts[rng.choices(codes, weights)[0]]
        postcode = rng.choice(["31700", "31770", "31140", "31520"]) if outside else (
            d.postcode_list[0] if d.postcode_list else "31000")
        at = start + timedelta(seconds=rng.randrange(span))
        is_paper = i < paper
        email = None if is_paper else f"{_ascii(first)}.{_ascii(last)}.{petition_id}.{i}@exemple.fr"
        rows.append({
            "petition_id": petition_id, "state": "validated" if validated else "pending",
            "source": "paper" if is_paper else "online", "sponsor": False, "name": f"{first} {last}",
            "email": email, "canonical_email": email, "email_domain": None if is_paper else "exemple.fr",
            "postcode": postcode, "district_id": d.id if d else None,
            "ip": None if is_paper else f"203.0.113.{rng.randrange(1, 255)}", "notify": rng.random() < 0.4,
            "locale": "fr", "nonce": secrets.token_hex(6), "created_at": at, "validated_at": at if validated else None,
            "flagged": False, "mail_pending": False, "mails_sent": 0 if is_paper else 1, "counted": False,
            "dirty": validated, "anonymised": False, "paper_date": at.date() if is_paper else None,
            "paper_batch": "MAIRIE-T17-2026-01" if is_paper else None, "recorded_by_id": None})
    return rows


def _ascii(value: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", value) if c.isalnum() and ord(c) < 128).lower()


def register():
    """Loaders register at import (the decorator is idempotent)."""


@register_demo(order=30)
def load_petitions(ctx):
    from civic.core import audit
    from civic.core.sanitize import render_markdown
    from civic.core.time import utcnow
    from civic.extensions import db
    from civic.petitions import settings as psettings
    from civic.petitions.models import NewsKind, Petition, PetitionNews, PetitionState, Signature
    from civic.petitions.tally import tally_batch

    S = PetitionState
    rng = random.Random(2026)
    districts = ctx.get("districts", {})
    users = ctx.get("users", {})
    if not districts or not users:
        return
    values = psettings.load()
    now = utcnow()
    lea = users["habitante@demo.civic.localhost"]
    karim = users["habitant@demo.civic.localhost"]
    elu = users["elu@demo.civic.localhost"]
    moderator = users["moderation@demo.civic.localhost"]
    mediator = users["mediatrice@demo.civic.localhost"]
    creators = {"piscine": karim, "fontaines": lea, "velo": karim, "ecole": karim, "mediatheque": lea,
                "trottinettes": karim, "pub": karim, "voisin": karim, "marche": lea, "cours": lea, "bancs": lea}
    petitions = {}
    for key, title, background, details, topic, code, maker in PETITIONS:
        p = Petition(title=title, background=background, details=details, topic=topic,
                     district_id=districts[code].id if code else None, decision_maker=maker,
                     creator_id=creators[key].id, sponsor_token=secrets.token_urlsafe(18), state=S.DRAFT)
        db.session.add(p)
        petitions[key] = p
    db.session.flush()

    def history(p, created_days_ago, steps):
        """Set the lifecycle timestamps and write the matching audit entries in the past."""
        created = now - timedelta(days=created_days_ago)
        p.created_at = created
        audit.record(p.creator_id, "petition.created", "petition", p.id).created_at = created
        for action, days_ago, actor, extra in steps:
            entry = audit.record(actor, action, "petition", p.id, **extra)
            entry.created_at = now - timedelta(days=days_ago)

    def open_petition(p, days_ago, days_open=None):
        p.submitted_at = now - timedelta(days=days_ago + 6)
        p.moderation_at = now - timedelta(days=days_ago + 3)
        p.opened_at = now - timedelta(days=days_ago)
        p.closes_at = p.opened_at + timedelta(days=days_open or values["open_days"])
        p.response_threshold, p.debate_threshold = values["response_threshold"], values["debate_threshold"]
        p.state = S.OPEN
        history(p, days_ago + 8, [("petition.submitted", days_ago + 6, p.creator_id, {}),
                                  ("petition.sponsored", days_ago + 3, None, {}),
                                  ("petition.approved", days_ago, moderator.id, {})])

    # Over the response threshold, with its published response.
    piscine = petitions["piscine"]
    open_petition(piscine, 70)
    n_piscine = values["response_threshold"] + 1437
    piscine.response_threshold_at = now - timedelta(days=41)
    piscine.response_due_at = piscine.response_threshold_at + timedelta(days=values["response_days"])
    audit.record(None, "petition.threshold_response", "petition", piscine.id,
                 count=values["response_threshold"]).created_at = piscine.response_threshold_at
    for key, days in (("fontaines", 25), ("velo", 48), ("ecole", 12)):
        open_petition(petitions[key], days)
    # Closed after its full period.
    med = petitions["mediatheque"]
    open_petition(med, 200, days_open=183)
    med.state, med.closed_at = S.CLOSED, med.closes_at
    audit.record(None, "petition.closed", "petition", med.id).created_at = med.closed_at
    # Rejected with a public reason.
    tro = petitions["trottinettes"]
    tro.state, tro.reason_code, tro.rejected_at = S.REJECTED, "outside_remit", now - timedelta(days=30)
    tro.reason_text = ("La réglementation des engins de déplacement personnels relève de la loi nationale. La ville "
                       "peut en revanche encadrer le stationnement et la location : une pétition en ce sens serait "
                       "recevable.")
    history(tro, 40, [("petition.submitted", 38, karim.id, {}), ("petition.sponsored", 35, None, {}),
                      ("petition.rejected", 30, moderator.id, {"code": "outside_remit"})])
    # Hidden (an advert) and removed (personal data, after publication).
    pub = petitions["pub"]
    pub.state, pub.reason_code, pub.rejected_at = S.HIDDEN, "advert", now - timedelta(days=15)
    pub.reason_text = "Publicité pour une entreprise."
    history(pub, 18, [("petition.submitted", 17, karim.id, {}), ("petition.sponsored", 16, None, {}),
                      ("petition.hidden", 15, moderator.id, {"code": "advert"})])
    voisin = petitions["voisin"]
    open_petition(voisin, 20)
    voisin.state, voisin.state_before_removal = S.REMOVED, S.OPEN
    voisin.reason_code, voisin.removed_at = "personal_data", now - timedelta(days=19)
    voisin.reason_text = ("Le texte désignait une personne identifiable. Un différend de voisinage relève de la "
                          "médiation de quartier, que la mairie peut organiser.")
    audit.record(moderator.id, "petition.removed", "petition", voisin.id,
                 code="personal_data").created_at = voisin.removed_at
    # Awaiting moderation, collecting sponsors, draft.
    marche = petitions["marche"]
    marche.state, marche.submitted_at, marche.moderation_at = S.MODERATION, now - timedelta(days=5), now - timedelta(days=2)
    history(marche, 6, [("petition.submitted", 5, lea.id, {}), ("petition.sponsored", 2, None, {})])
    cours = petitions["cours"]
    cours.state, cours.submitted_at = S.SPONSORS, now - timedelta(days=1)
    history(cours, 2, [("petition.submitted", 1, lea.id, {})])
    history(petitions["bancs"], 0, [])
    db.session.flush()

    # Sponsors (validated) of the petitions that went through moderation, and two of "cours".
    sponsor_rows = []
    for key in ("piscine", "fontaines", "velo", "ecole", "mediatheque", "trottinettes", "marche", "cours", "voisin"):
        p = petitions[key]
        n = 2 if key == "cours" else values["sponsors_needed"]
        for row in _signers(rng, n, districts, p.id, p.created_at, p.created_at + timedelta(days=2)):
            row["sponsor"] = True
            row["email"] = row["canonical_email"] = row["email"].replace("@", ".sponsor@")
            row["dirty"] = True
            sponsor_rows.append(row)
    db.session.execute(Signature.__table__.insert(), sponsor_rows)
    # Signatures, spread over districts.
    plan = [("piscine", n_piscine, 0), ("fontaines", 842, 0), ("velo", 2318, 0), ("ecole", 163, 41),
            ("mediatheque", 4207, 0), ("voisin", 96, 0)]
    for key, n, paper in plan:
        p = petitions[key]
        end = min(now, p.closes_at or now)
        rows = _signers(rng, n, districts, p.id, p.opened_at, end, paper=paper)
        for row in rows:
            if row["source"] == "paper":
                row["recorded_by_id"] = mediator.id
        for i in range(0, len(rows), 2000):
            db.session.execute(Signature.__table__.insert(), rows[i:i + 2000])
    # A few signatures still waiting for their confirmation mail click.
    db.session.execute(Signature.__table__.insert(),
                       _signers(rng, 37, districts, petitions["fontaines"].id, now - timedelta(hours=6), now,
                                validated=False))
    db.session.flush()
    while tally_batch():
        pass

    # The official response to the pool petition, published 12 days ago.
    db.session.add(PetitionNews(
        petition_id=piscine.id, kind=NewsKind.RESPONSE, author_id=elu.id, decision="partly",
        summary="La piscine Alfred Nakache rouvrira le dimanche de 9 h à 13 h à partir du 1er mars, pendant un an "
                "à titre d'essai. La fréquentation sera publiée chaque trimestre.",
        body_html=render_markdown(
            "Merci à toutes celles et à tous ceux qui ont signé.\n\n"
            "La fermeture du dimanche avait été décidée faute de maîtres-nageurs. Deux postes saisonniers ont "
            "été pérennisés, ce qui permet :\n\n"
            "- une **ouverture le dimanche de 9 h à 13 h** à partir du 1er mars ;\n"
            "- deux lignes d'eau réservées aux longueurs jusqu'à 11 h ;\n"
            "- un bilan de fréquentation publié chaque trimestre sur cette page.\n\n"
            "L'ouverture dès 8 h demandée par la pétition n'est pas possible : l'entretien des bassins a lieu le "
            "dimanche entre 7 h et 9 h. Après un an, la ville décidera de maintenir ou d'étendre ce créneau."),
        published_at=now - timedelta(days=12), mailing_done_at=now - timedelta(days=12)))
    audit.record(elu.id, "petition.response_published", "petition", piscine.id,
                 decision="partly").created_at = now - timedelta(days=12)
    # A creator's update on the bike lane petition.
    db.session.add(PetitionNews(
        petition_id=petitions["velo"].id, kind=NewsKind.UPDATE, author_id=karim.id,
        title="Rencontre avec la direction des mobilités",
        summary="Nous avons été reçus le 14 : des potelets provisoires seront posés avant l'été.",
        body_html=render_markdown("Nous avons été reçus le 14 par la direction des mobilités. Des potelets "
                                  "provisoires seront posés avant l'été sur la partie la plus dangereuse. Continuez "
                                  "à partager la pétition pour obtenir une séparation continue."),
        published_at=now - timedelta(days=9), mailing_done_at=now - timedelta(days=9)))
    db.session.flush()
    ctx["petitions"] = petitions


# The demo electors of the roll: Léa and Karim are on it (Léa with a demo
# FranceConnect identity, so she signs online), with fake electors around them.
DEMO_ELECTORS = {"habitante@demo.civic.localhost": ("MARTIN", "Léa Claire", "1991-04-12"),
                 "habitant@demo.civic.localhost": ("BENALI", "Karim", "1986-09-03")}
DEMO_ROLL_SIZE = 2400


@register_demo(order=31)
def load_legal_requests(ctx):
    """Requests to the council (CGCT L1112-16): a demo electoral roll, the
    council's session calendar, a kind II request past its threshold,
    transmitted and acknowledged, and a kind I request collecting signatures."""
    import sqlalchemy as sa

    from civic.accounts import electors, roll
    from civic.accounts.models import OidcIdentity, RollEntry
    from civic.core import audit
    from civic.core.settings import store_setting
    from civic.core.time import local_day, utcnow
    from civic.extensions import db
    from civic.petitions.models import (
        AuthorityType,
        CouncilSession,
        LegalKind,
        LegalSignatureQuarter,
        Petition,
        PetitionState,
        Signature,
    )
    from civic.petitions.services import legal
    from civic.petitions.tally import tally_batch

    users, districts = ctx.get("users", {}), ctx.get("districts", {})
    if not users or not districts:
        return
    rng = random.Random(1112)
    now = utcnow()
    admin, elu = users["admin@demo.civic.localhost"], users["elu@demo.civic.localhost"]
    lea, karim = users["habitante@demo.civic.localhost"], users["habitant@demo.civic.localhost"]
    mediator = users["mediatrice@demo.civic.localhost"]
    authority = "le conseil municipal de Toulouse"
    store_setting("petitions.legal_authority", authority)
    store_setting("petitions.legal_authority_type", "commune")

    fake = [electors.identity_hash(rng.choice(LAST), f"{rng.choice(FIRST)} {rng.choice(FIRST)}",
                                   f"{rng.randrange(1940, 2007)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}")
            for _ in range(DEMO_ROLL_SIZE)]
    fake = list(dict.fromkeys(fake))
    # The commune's list as re-imported for this demo: the electors of a roll
    # already imported (the verification demo's) stay on it, with the
    # requests' signers and the rest of the commune added.
    mine = [electors.identity_hash(*i) for i in DEMO_ELECTORS.values()]
    earlier = roll.roll_in_force()
    kept = [] if earlier is None else [(e.identity_hash, e.polling_station) for e in db.session.scalars(
        sa.select(RollEntry).where(RollEntry.roll_id == earlier.id))]
    known = {h for h, _s in kept}
    roll.replace_roll(admin, kept + [(h, f"{rng.randrange(1, 40):03d}") for h in dict.fromkeys(mine + fake)
                                     if h not in known],
                      filename="liste-electorale-toulouse-demo.csv")
    current = roll.roll_in_force()
    if db.session.scalar(sa.select(OidcIdentity.id).where(OidcIdentity.user_id == lea.id,
                                                          OidcIdentity.provider == "franceconnect")) is None:
        family, given, born = DEMO_ELECTORS[lea.email]
        db.session.add(OidcIdentity(user_id=lea.id, provider="franceconnect",
                                    subject_hash=electors.subject_hash("franceconnect", "demo-lea-martin"),
                                    identity_hash=electors.identity_hash(family, given, born),
                                    identity_verified_at=now - timedelta(days=30), identity_acr="eidas1"))

    today = local_day(now)
    sessions = [CouncilSession(held_on=today + timedelta(days=d), title=t, authority=authority)
                for d, t in ((-45, "Conseil municipal d’octobre"), (-4, "Conseil municipal de novembre"),
                             (24, "Conseil municipal de décembre"), (66, "Conseil municipal de février"))]
    db.session.add_all(sessions)

    threshold = legal.threshold_for(current.elector_count, AuthorityType.COMMUNE)
    transports = Petition(
        title="Inscrire à l’ordre du jour la gratuité des transports pour les moins de 26 ans",
        background="Demande au conseil municipal de Toulouse (art. L1112-16) : délibérer sur la gratuité du métro, "
                   "du tram et des bus Tisséo pour les moins de 26 ans, comme l’ont fait d’autres villes.",
        details="Les jeunes renoncent à des stages, des soins et des activités faute de moyens de transport. Nous "
                "demandons que le conseil municipal délibère, et porte la demande auprès de Tisséo Collectivités.",
        topic="transport", creator_id=lea.id, sponsor_token=secrets.token_urlsafe(18), state=PetitionState.OPEN,
        legal_kind=LegalKind.DELIBERATION, authority=authority, authority_type=AuthorityType.COMMUNE,
        decision_maker=authority, threshold_from_roll=True, roll_id=current.id,
        roll_elector_count=current.elector_count, response_threshold=threshold, debate_threshold=None,
        created_at=now - timedelta(days=50), submitted_at=now - timedelta(days=48),
        moderation_at=now - timedelta(days=46), opened_at=now - timedelta(days=45),
        closes_at=now + timedelta(days=138))
    pietons = Petition(
        title="Organiser une consultation sur la piétonnisation de la rue d’Alsace-Lorraine",
        background="Demande au conseil municipal de Toulouse (art. L1112-16) : organiser une consultation des "
                   "électeurs sur la piétonnisation complète de la rue d’Alsace-Lorraine, le week-end puis toute "
                   "la semaine.",
        topic="transport", creator_id=karim.id, sponsor_token=secrets.token_urlsafe(18), state=PetitionState.OPEN,
        legal_kind=LegalKind.CONSULTATION, authority=authority, authority_type=AuthorityType.COMMUNE,
        decision_maker=authority, threshold_from_roll=True, roll_id=current.id,
        roll_elector_count=current.elector_count, response_threshold=threshold, debate_threshold=None,
        created_at=now - timedelta(days=20), submitted_at=now - timedelta(days=18),
        moderation_at=now - timedelta(days=16), opened_at=now - timedelta(days=15),
        closes_at=now + timedelta(days=168))
    db.session.add_all([transports, pietons])
    db.session.flush()

    # Signatures of electors (each a roll entry), online and on paper, with their quarter rows.
    quarter_rows, used = [], iter(fake)
    for p, n, paper in ((transports, threshold + 37, 12), (pietons, 58, 5)):
        rows = _signers(rng, n, districts, p.id, p.opened_at, now, paper=paper)
        for row in rows:
            if row["source"] == "paper":
                row["recorded_by_id"], row["paper_batch"] = mediator.id, "MAIRIE-CAPITOLE-L1112-01"
            quarter_rows.append({"identity_hash": next(used), "authority": authority,
                                 "quarter": legal.quarter_key(row["created_at"]), "petition_id": p.id,
                                 "signature_id": None, "created_at": row["created_at"]})
        db.session.execute(Signature.__table__.insert(), rows)
    db.session.execute(LegalSignatureQuarter.__table__.insert(), quarter_rows)
    db.session.flush()
    while tally_batch():
        pass
    # The law's steps of the transport request: threshold reached, transmitted, acknowledged; the
    # council was due to be informed at November's session, which passed without it: shown as late.
    reached = now - timedelta(days=12)
    transports.response_threshold_at = transports.legal_transmitted_at = reached
    transports.legal_acknowledged_at, transports.legal_acknowledged_by_id = now - timedelta(days=9), elu.id
    for action, at, actor in (("petition.threshold_response", reached, None),
                              ("petition.legal_transmitted", reached, None),
                              ("petition.legal_acknowledged", now - timedelta(days=9), elu.id)):
        audit.record(actor, action, "petition", transports.id).created_at = at
    db.session.flush()
    ctx.setdefault("petitions", {}).update({"transports": transports, "pietons": pietons})
