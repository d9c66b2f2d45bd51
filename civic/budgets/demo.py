"""Demo data: the real Toulouse 2022 participatory budget (20 district
elections from pabulib, French project names, published results and
implementation updates) and a 2026 edition open for voting."""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

from civic.demo import register_demo

DEMO_2026 = {
    "T06": [
        ("Des fontaines à boire sur les allées Charles-de-Fitte", 45000, "Allées Charles-de-Fitte",
         "Trois fontaines d'eau potable le long des allées, pour les habitants, les sportifs et les jours de canicule."),
        ("Un jardin partagé place Olivier", 60000, "Place Olivier",
         "Des bacs de culture ouverts aux familles et aux écoles du quartier, avec un composteur collectif."),
        ("Abris vélos sécurisés près de la station Saint-Cyprien – République", 80000, "Station de métro Saint-Cyprien",
         "Quarante places de vélo couvertes et fermées, accessibles avec la carte Tisséo."),
        ("Ombrières et bancs au square Vivier", 95000, "Square Vivier",
         "Des voiles d'ombrage, des bancs adaptés aux personnes âgées et un point d'eau."),
        ("Fresque participative rue de la République", 25000, "Rue de la République",
         "Une fresque dessinée avec les enfants du quartier et un collectif d'artistes toulousains."),
        ("Éclairage doux du chemin de halage", 120000, "Berges de la Garonne",
         "Un éclairage à détection de présence, respectueux de la faune, pour rentrer à pied en sécurité."),
    ],
    "T17": [
        ("Terrain multisport rénové à la Reynerie", 150000, "Place Abbal",
         "Remplacer le revêtement, les paniers et les buts, et ajouter un éclairage jusqu'à 22 h."),
        ("Une boîte à livres dans chaque école de Bellefontaine", 12000, "Écoles de Bellefontaine",
         "Des boîtes à livres fabriquées par un atelier d'insertion du quartier."),
        ("Verger partagé au lac de la Reynerie", 40000, "Lac de la Reynerie",
         "Une trentaine d'arbres fruitiers plantés avec les habitants et entretenus avec une association."),
        ("Cheminement piéton éclairé vers le métro Mirail-Université", 110000, "Avenue de Reynerie",
         "Un trottoir élargi, éclairé et accessible aux fauteuils roulants jusqu'à la station."),
        ("Atelier de réparation de vélos solidaire", 35000, "Rue de Kiev",
         "Un local équipé où des bénévoles aident chacun à réparer son vélo, à prix libre."),
        ("Aire de jeux inclusive au parc de la Reynerie", 90000, "Parc de la Reynerie",
         "Des jeux accessibles aux enfants en situation de handicap, avec un sol souple."),
    ],
    None: [
        ("Plus de toilettes publiques accessibles en centre-ville", 300000, "Centre-ville",
         "Dix sanitaires accessibles et gratuits, ouverts de 7 h à 22 h."),
        ("Végétaliser cinq cours d'école", 450000, "Écoles élémentaires",
         "Remplacer le bitume par des arbres, des pelouses et des sols perméables, ouverts le week-end."),
        ("Des bancs tous les 200 mètres sur les grands axes", 150000, "Boulevards",
         "Pour que les personnes âgées et à mobilité réduite puissent marcher en ville en se reposant."),
        ("Carte interactive des fontaines et des lieux frais", 30000, "Toute la ville",
         "Une carte en ligne et sur papier des points d'eau et des lieux climatisés ouverts au public."),
    ],
}

UPDATES = [
    ("in_progress", 40, "Les études sont terminées et le chantier a été attribué. Les travaux commencent au printemps."),
    ("in_progress", 75, "Le gros œuvre est fini ; les plantations auront lieu à l'automne, la bonne saison."),
    ("done", 100, "Le projet est livré. Merci aux habitants qui l'ont proposé et soutenu !"),
]


# (envelope, project index in DEMO_2026, motif of civic.core.pictures.illustration, alt text, colours)
DEMO_2026_PICTURES = (
    ("T06", 0, "fountain", "Dessin d'une fontaine à boire au milieu d'une allée", {}),
    ("T06", 1, "garden", "Dessin de bacs de jardinage fleuris sur une place", {}),
    ("T06", 3, "bench", "Dessin d'un banc rouge sous une ombrière blanche", {}),
    (None, 1, "tree", "Dessin de trois arbres dans une cour d'école", {"ground": (190, 180, 160)}),
    (None, 2, "bench", "Dessin d'un banc vert au bord d'un grand axe", {"accent": (60, 140, 80)}),
)


def pabulib_dir() -> Path:
    env = os.environ.get("CIVIC_PABULIB_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pabulib"


def toulouse_files() -> list[tuple[str, Path]]:
    """(district code T01..T20, file) for the Toulouse 2022 district elections."""
    out = []
    for path in sorted(pabulib_dir().glob("France_Toulouse_2022_*.pb")):
        m = re.match(r"France_Toulouse_2022_(\d+)_", path.name)
        if m:
            out.append((f"T{int(m.group(1)):02d}", path))
    return sorted(out)


def load_toulouse_2022(ctx) -> None:
    from civic.core import audit
    from civic.core.time import utcnow
    from civic.extensions import db

    from . import services
    from .importer import import_election
    from .models import ImplementationStatus, Project, ProjectUpdate
    from .pabulib import parse_pb

    files = toulouse_files()
    if not files:
        print(f"budgets demo: no Toulouse files in {pabulib_dir()}; the 2022 edition is skipped")
        return
    districts = ctx["districts"]
    edition = None
    for code, path in files:
        edition, _env = import_election(parse_pb(path), title="Budget participatif de Toulouse 2022",
                                        edition=edition, district_id=districts[code].id)
    edition.description_html = (
        "<p>Le budget participatif 2022 de Toulouse : 8 millions d'euros répartis entre les 20 quartiers. "
        "Ces données sont les vraies données publiées par la ville dans la bibliothèque pabulib.</p>")
    services.compute_results(edition)
    official = ctx["users"]["elu@demo.civic.localhost"]
    services.apply_publication(edition, official)
    # Implementation: a few projects of the demo residents' districts move on.
    import sqlalchemy as sa

    chosen = db.session.scalars(sa.select(Project).where(
        Project.edition_id == edition.id, Project.selected.is_(True),
        Project.envelope_id.in_([e.id for e in edition.envelopes
                                 if e.district_id in (districts["T06"].id, districts["T17"].id, districts["T01"].id)]))
        .order_by(Project.id)).all()
    now = utcnow()
    for n, project in enumerate(chosen):
        steps = UPDATES[: (n % 4)]
        for i, (status, progress, body) in enumerate(steps):
            project.implementation_status = ImplementationStatus(status)
            project.progress = progress
            db.session.add(ProjectUpdate(project_id=project.id, author_id=official.id, status=project.implementation_status,
                                         progress=progress, body_html=f"<p>{body}</p>",
                                         created_at=now - timedelta(days=300 - 120 * i)))
        if n % 4 == 3 and n > 6:
            project.implementation_status = ImplementationStatus.CANCELLED
            project.cancel_reason = "Le terrain prévu n'est finalement pas disponible ; le budget est reporté sur 2026."
    db.session.flush()
    audit.record(official, "budget.demo_loaded", "budget", edition.id)
    ctx["budget_2022"] = edition


def load_budget_2026(ctx) -> None:
    from werkzeug.security import generate_password_hash

    from civic.accounts.models import User, Verification, VerificationMethod
    from civic.core import phases
    from civic.core.time import utcnow
    from civic.extensions import db

    from . import services
    from .models import Ballot, BallotChannel, BudgetEdition, Envelope, Project, ProjectStatus, SelectionRule, VoteRule

    districts, users = ctx["districts"], ctx["users"]
    now = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    edition = BudgetEdition(
        title="Budget participatif 2026", currency="EUR", total_amount=1_000_000,
        vote_rule=VoteRule.KNAPSACK, selection_rule=SelectionRule.EQUAL_SHARES, min_spend_percent=None,
        paper_salt=secrets.token_hex(16), created_by_id=users["elu@demo.civic.localhost"].id, published_at=now,
        description_html=("<p>Un million d'euros pour des projets proposés par les habitantes et les habitants. "
                          "Choisissez les projets que vous voulez voir réalisés, dans la limite de l'enveloppe "
                          "de votre quartier. Le résultat est calculé par la méthode des parts égales, "
                          "qui donne à chaque groupe de votants une part du budget proportionnelle à sa taille.</p>"))
    db.session.add(edition)
    db.session.flush()
    envelopes = {}
    for code, amount in (("T06", 250_000), ("T17", 250_000), (None, 500_000)):
        env = Envelope(edition_id=edition.id, district_id=districts[code].id if code else None, amount=amount)
        db.session.add(env)
        envelopes[code] = env
    db.session.flush()
    starts = {"information": now - timedelta(days=120), "submission": now - timedelta(days=100),
              "review": now - timedelta(days=60), "voting": now - timedelta(days=5),
              "results": now + timedelta(days=16), "implementation": now + timedelta(days=60)}
    created = phases.set_phases(None, services.KIND, edition.id, services.phase_specs(starts, None))
    for p in created:
        if p.starts_at <= now:
            p.entered_at = p.starts_at
    next(p for p in created if p.code == "voting").is_current = True
    edition.rules_frozen_at = starts["voting"]
    authors = [users["habitante@demo.civic.localhost"], users["habitant@demo.civic.localhost"],
               users["mediatrice@demo.civic.localhost"]]
    projects = {}
    for code, rows in DEMO_2026.items():
        projects[code] = []
        for i, (title, cost, place, text) in enumerate(rows):
            p = Project(edition_id=edition.id, envelope_id=envelopes[code].id, author_id=authors[i % 3].id,
                        title=title, description=text, description_html=f"<p>{text}</p>", location=place,
                        estimated_cost=cost, final_cost=cost, status=ProjectStatus.FEASIBLE,
                        review_reason="Projet réalisable : coût vérifié par les services de la ville.",
                        reviewed_at=now - timedelta(days=20))
            db.session.add(p)
            projects[code].append(p)
    unfeasible = Project(edition_id=edition.id, envelope_id=envelopes["T06"].id, author_id=authors[0].id,
                         title="Un téléphérique vers la Prairie des Filtres", description="Relier les deux rives.",
                         description_html="<p>Relier les deux rives.</p>", location="Prairie des Filtres",
                         estimated_cost=240_000, status=ProjectStatus.UNFEASIBLE, reviewed_at=now - timedelta(days=20),
                         review_reason="Le coût réel dépasse largement l'enveloppe du quartier et la rive est classée.")
    db.session.add(unfeasible)
    db.session.flush()
    # A few projects have a picture (drawn now, through the real upload path), as residents add them.
    from civic.core import pictures

    for code, index, motif, alt, colours in DEMO_2026_PICTURES:
        project = projects[code][index]
        pictures.demo_picture(db.session.get(User, project.author_id), services.PROJECT_KIND, project.id,
                              motif, alt, **colours)
    # Demo voters: verified residents who have already voted (turnout is shown, never running results).
    pw = generate_password_hash("civic-demo-2026")
    first_names = ["Inès", "Hugo", "Chloé", "Mathis", "Manon", "Yanis", "Camille", "Nathan", "Sarah", "Lucas"]
    ballots = []
    for code in ("T06", "T17"):
        for i, first in enumerate(first_names):
            u = User(email=f"votant{i + 1}-{code.lower()}@demo.civic.localhost", display_name=f"{first} ({code})",
                     password_hash=pw, locale="fr", email_confirmed_at=now, district_id=districts[code].id)
            db.session.add(u)
            db.session.flush()
            db.session.add(Verification(user_id=u.id, district_id=districts[code].id, method=VerificationMethod.IN_PERSON))
            local = projects[code]
            picks, total = [], 0
            for p in local[i % 3:] + local[: i % 3]:
                if total + p.cost <= envelopes[code].amount and len(picks) < 3:
                    picks.append(p.id)
                    total += p.cost
            ballots.append(Ballot(envelope_id=envelopes[code].id, user_id=u.id, channel=BallotChannel.ONLINE,
                                  project_ids=picks, points=None, created_at=now, updated_at=now))
            city = projects[None]
            picks, total = [], 0
            for p in city[i % 4:] + city[: i % 4]:
                if total + p.cost <= envelopes[None].amount:
                    picks.append(p.id)
                    total += p.cost
            ballots.append(Ballot(envelope_id=envelopes[None].id, user_id=u.id, channel=BallotChannel.ONLINE,
                                  project_ids=picks, points=None, created_at=now, updated_at=now))
    db.session.add_all(ballots)
    db.session.flush()
    ctx["budget_2026"] = edition


@register_demo(order=70)
def load_budgets_demo(ctx):
    load_toulouse_2022(ctx)
    load_budget_2026(ctx)
