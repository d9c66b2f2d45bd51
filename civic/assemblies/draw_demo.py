"""What the demo shows of the draw: the Toulouse assembly on mobility, from
the letters to the public report (600 volunteers of the shipped example
plus invited people who replied online or at the counter, the quotas, a
maximin draw of 40 with its seed, one replacement), and a second assembly
still collecting volunteers, whose reply codes the demo prints."""

from __future__ import annotations

import random
from pathlib import Path

import click

from civic.demo import register_demo

EXAMPLES = Path(__file__).parent / "examples"
STREETS = ["rue du Taur", "rue Pargaminières", "allée Jean-Jaurès", "rue de Metz", "avenue de Muret",
           "rue des Filatiers", "boulevard de Strasbourg", "rue Bayard", "chemin de Pouvourville",
           "avenue de Lardenne", "rue de la Colombette", "place Saint-Pierre", "avenue de Grande-Bretagne",
           "rue du Férétra", "avenue Jean-Rieux", "rue Vauquelin"]
FIRST = ["Inès", "Hugo", "Margaux", "Yanis", "Chloé", "Mehdi", "Louise", "Théo", "Camille", "Nathalie",
         "Jérôme", "Aïcha", "Bernard", "Lucie", "Karim", "Solène", "Pierre", "Fatou", "Manon", "Julien"]
LAST = ["Martin", "Bernard", "Garcia", "Lopez", "Moreau", "Benali", "Durand", "Fabre", "Roux", "Nguyen",
        "Bonnet", "Lambert", "Fournier", "Mercier", "Blanc", "Girard"]


def _addresses(rng: random.Random, n: int) -> str:
    lines = ["nom,adresse,code_postal,ville"]
    for _i in range(n):
        lines.append(f"{rng.choice(FIRST)} {rng.choice(LAST)},{rng.randint(1, 180)} {rng.choice(STREETS)},"
                     f"{rng.choice(['31000', '31100', '31200', '31300', '31400', '31500'])},Toulouse")
    return "\n".join(lines) + "\n"


def _respondents(rng: random.Random) -> str:
    """The shipped example pool with French first names and last names added."""
    text = (EXAMPLES / "toulouse_respondents.csv").read_text(encoding="utf-8").strip().split("\n")
    out = [text[0] + ",prénom,nom"]
    out += [f"{row},{rng.choice(FIRST)},{rng.choice(LAST)}" for row in text[1:]]
    return "\n".join(out) + "\n"


def _answers(rng, sel) -> dict:
    return {c: rng.choice(sel.values(c)) for c in sel.categories()}


@register_demo(order=920)
def load_draw(ctx) -> None:
    from flask_login import AnonymousUserMixin

    from civic.core.errors import ValidationError
    from civic.core.time import utcnow
    from civic.extensions import db

    from . import draw_services as services
    from .models import Assembly, AssemblyState

    rng = random.Random(2026)
    admin = ctx["users"]["admin@demo.civic.localhost"]
    mediator = ctx["users"]["mediatrice@demo.civic.localhost"]
    categories = (EXAMPLES / "toulouse_categories.csv").read_text(encoding="utf-8")
    now = utcnow()

    # 1. Drawn: letters, replies, quotas, commitment, draw, a replacement.
    mob = Assembly(title="Assemblée citoyenne de Toulouse sur les mobilités",
                   summary="Comment se déplacer dans Toulouse en 2035 : quelles priorités pour la ville ?",
                   mandate="Quelles priorités pour les déplacements dans Toulouse d'ici 2035 ?",
                   mandate_html="<p>Quelles priorités pour les déplacements dans Toulouse d'ici 2035 ?</p>",
                   size=40, state=AssemblyState.SELECTING, published_at=now, created_by_id=admin.id)
    db.session.add(mob)
    db.session.flush()
    sel = services.open_selection(admin, mob)
    services.import_categories(admin, sel, categories)
    services.update_quotas(admin, sel, {}, ["diplôme"], "maximin")
    services.draw_invitations(admin, sel, _addresses(rng, 12000), 3000, "Loto du 28 novembre 2026 : 7 19 23 31 42")
    services.import_respondents(admin, sel, _respondents(rng))
    for position in range(12):
        actor = mediator if position % 4 == 0 else None
        services.register_interest(actor or AnonymousUserMixin(), sel, code=services.reply_code(sel, position),
                                   first_name=rng.choice(FIRST), last_name=rng.choice(LAST),
                                   email=f"volontaire{position}@demo.civic.localhost", features=_answers(rng, sel),
                                   consents=["diplôme"], consent=True)
    services.commit(admin, sel)
    services.run_draw(admin, sel)
    db.session.flush()
    # A member leaves: the first one whose profile has somebody left in the pool is replaced.
    for leaving in [v for v in services.pool(sel) if v.status.value == "selected"]:
        try:
            services.draw_replacement(admin, sel, leaving.id)
            break
        except ValidationError:  # refused before any change: try the next member
            continue

    # 2. Still open: the reply form works with the codes printed below.
    food = Assembly(title="Convention citoyenne de Toulouse sur l'alimentation",
                    summary="Mieux manger à la cantine et au marché : que doit faire la ville ?",
                    mandate="Comment la ville peut-elle rendre une alimentation de qualité accessible à tous ?",
                    mandate_html="<p>Comment la ville peut-elle rendre une alimentation de qualité accessible à "
                                 "tous ?</p>",
                    size=24, state=AssemblyState.SELECTING, published_at=now, created_by_id=admin.id)
    db.session.add(food)
    db.session.flush()
    sel2 = services.open_selection(admin, food)
    services.import_categories(admin, sel2, "category,feature,min,max\ngenre,femme,11,13\ngenre,homme,11,13\n"
                               "âge,18-34 ans,6,9\nâge,35-59 ans,8,11\nâge,60 ans et plus,6,9\n")
    services.draw_invitations(admin, sel2, _addresses(rng, 4000), 800, "Tirage public du 2 décembre 2026 : 4417")
    for position in range(10, 40):
        services.register_interest(AnonymousUserMixin(), sel2, code=services.reply_code(sel2, position),
                                   first_name=rng.choice(FIRST), email=f"cantine{position}@demo.civic.localhost",
                                   features=_answers(rng, sel2), consents=[], consent=True)
    codes = [services.reply_code(sel2, p) for p in range(3)]
    click.echo(f"\nCitizens' assemblies drawn by lot: the public report of the draw is at /assemblies/{mob.id}/selection; "
               f"volunteer for the other one at /assemblies/{food.id}/reply with a letter's code: {', '.join(codes)}")

