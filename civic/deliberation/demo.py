"""Demo data: two lively debates in Toulouse (one closed with a conclusion),
reactions that make the constructive ordering visible, and comments on an
open petition when the petitions module has loaded some."""

from __future__ import annotations

from datetime import timedelta

from civic.demo import register_demo

RESIDENTS = [
    # key, display name, email (first.last: other modules' loaders use bare first names), district code
    ("julien", "Julien Castex", "julien.castex", "T01"),
    ("bernard", "Bernard Lacombe", "bernard.lacombe", "T01"),
    ("elodie", "Élodie Fabre", "elodie.fabre", "T05"),
    ("martine", "Martine Roques", "martine.roques", "T01"),
    ("sebastien", "Sébastien Morel", "sebastien.morel", "T08"),
    ("nadia", "Nadia Haddad", "nadia.haddad", "T10"),
    ("ines", "Inès Garcia", "ines.garcia", "T03"),
    ("thomas", "Thomas Nguyen", "thomas.nguyen", "T13"),
]

PEDESTRIAN_FRAMING = """La rue d'Alsace-Lorraine relie le square Charles-de-Gaulle au quartier des Carmes. Le samedi et le dimanche, les trottoirs débordent, et les passages de véhicules posent des questions de sécurité.

La mairie envisage de la réserver aux piétons **le samedi et le dimanche, de 11 h à 19 h**, à titre d'essai pendant six mois. Rien n'est décidé : ce débat sert à peser les arguments avant la décision.

Points ouverts :

- l'accès des personnes à mobilité réduite, des taxis et des secours ;
- les livraisons des commerces ;
- l'effet sur la fréquentation des boutiques et des rues voisines."""

SCHOOL_FRAMING = """Aux heures d'entrée et de sortie des classes, les abords de nombreuses écoles sont encombrés : stationnement en double file, manœuvres sur les passages piétons, air chargé.

Plusieurs villes ont créé des **« rues scolaires »**, fermées aux voitures une demi-heure matin et soir. D'autres préfèrent des déposes-minute surveillées ou des trajets accompagnés à pied (pédibus).

Quelle place voulez-vous laisser à la voiture devant les écoles de Toulouse ?"""

SCHOOL_CONCLUSION = """**Ce que nous avons entendu.** Presque tout le monde s'accorde sur la sécurité des enfants, y compris les parents qui viennent en voiture. Les désaccords portent sur les familles qui n'ont pas d'autre solution (horaires décalés, trajet vers le travail) et sur le report du stationnement dans les rues voisines.

**Ce qui va se passer.** À la rentrée, des rues scolaires seront expérimentées devant les écoles dont les conseils d'école se portent volontaires, avec :

- une dépose-minute aménagée à moins de 200 m de chaque école concernée ;
- un accès maintenu pour les riverains, les secours et les personnes à mobilité réduite ;
- un bilan public en fin d'année scolaire, présenté en conseil de quartier.

Merci à toutes celles et ceux qui ont pris le temps d'argumenter."""


def _user(ctx, key):
    if key in ctx["deliberation_users"]:
        return ctx["deliberation_users"][key]
    return ctx["users"][key]


def _comment(ctx, item_kind, item_id, author_key, body, when, alignment=None, parent=None, answer=False):
    from civic.core.sanitize import render_markdown
    from civic.deliberation.models import Alignment, Comment
    from civic.deliberation.services import badge_for
    from civic.extensions import db

    author = _user(ctx, author_key)
    c = Comment(kind=item_kind, object_id=item_id, parent_id=parent.id if parent else None,
                root_id=(parent.root_id or parent.id) if parent else None, depth=parent.depth + 1 if parent else 0,
                author_id=author.id, alignment=Alignment(alignment) if alignment else None, badge=badge_for(author),
                body_source=body, body_html=render_markdown(body), created_at=when, is_official_answer=answer)
    db.session.add(c)
    db.session.flush()
    return c


def _react(ctx, comment, useful=(), not_useful=()):
    from civic.deliberation.models import Reaction, ReactionValue
    from civic.extensions import db

    for key in useful:
        db.session.add(Reaction(comment_id=comment.id, user_id=_user(ctx, key).id, value=ReactionValue.USEFUL))
    for key in not_useful:
        db.session.add(Reaction(comment_id=comment.id, user_id=_user(ctx, key).id, value=ReactionValue.NOT_USEFUL))


def _residents(ctx):
    from werkzeug.security import generate_password_hash

    from civic.accounts.models import User, Verification, VerificationMethod
    from civic.core.time import utcnow
    from civic.extensions import db

    pw = generate_password_hash(ctx.get("password") or "civic-demo-2026")
    users = {}
    for key, name, local_part, code in RESIDENTS:
        district = ctx["districts"][code]
        u = User(email=f"{local_part}@demo.civic.localhost", display_name=name, password_hash=pw, locale="fr",
                 email_confirmed_at=utcnow() - timedelta(days=60), created_at=utcnow() - timedelta(days=60),
                 district_id=district.id)
        db.session.add(u)
        db.session.flush()
        db.session.add(Verification(user_id=u.id, district_id=district.id, method=VerificationMethod.IN_PERSON))
        users[key] = u
    db.session.flush()
    # Short keys for the accounts created by the accounts loader.
    for key, email in (("lea", "habitante@demo.civic.localhost"), ("karim", "habitant@demo.civic.localhost"),
                       ("elu", "elu@demo.civic.localhost")):
        users[key] = ctx["users"][email]
    ctx["deliberation_users"] = users


def _pedestrian_debate(ctx, now):
    from civic.core.sanitize import render_markdown
    from civic.deliberation.models import Debate, DebateSource
    from civic.extensions import db

    elu = _user(ctx, "elu")
    d = Debate(title="Faut-il piétonniser la rue d'Alsace-Lorraine le week-end ?", body_source=PEDESTRIAN_FRAMING,
               body_html=render_markdown(PEDESTRIAN_FRAMING), district_id=ctx["districts"]["T01"].id,
               ends_at=now + timedelta(days=21), author_id=elu.id, created_at=now - timedelta(days=9),
               sources=[DebateSource(position=0, title="Tisséo : plans et horaires du réseau", url="https://www.tisseo.fr"),
                        DebateSource(position=1, title="Cerema : aires piétonnes et zones de rencontre",
                                     url="https://www.cerema.fr")])
    db.session.add(d)
    db.session.flush()
    t = now - timedelta(days=8)
    c = {}
    c["julien"] = _comment(ctx, "debate", d.id, "julien", "Le samedi après-midi, on marche sur la chaussée tellement les trottoirs sont pleins. Piétonniser, c'est d'abord une question de sécurité, et les villes qui l'ont fait ne reviennent pas en arrière. Les voitures ont déjà les boulevards.", t, "for")
    c["bernard"] = _comment(ctx, "debate", d.id, "bernard", "Je me déplace avec une canne et je prends le taxi pour venir en centre-ville. Si la rue est fermée, où le taxi me dépose-t-il ? Tant que l'accès des personnes à mobilité réduite n'est pas réglé, je suis contre.", t + timedelta(hours=3), "against")
    c["elodie"] = _comment(ctx, "debate", d.id, "elodie", "Pour, mais pas n'importe comment :\n\n- livraisons autorisées avant 11 h ;\n- accès maintenu pour les taxis qui transportent des personnes à mobilité réduite, les riverains et les secours ;\n- un essai de trois mois avec un bilan chiffré (fréquentation, chiffre d'affaires des commerces, report de circulation dans les rues voisines).\n\nSi le bilan est mauvais, on revient en arrière.", t + timedelta(hours=20), "for")
    c["martine"] = _comment(ctx, "debate", d.id, "martine", "Je tiens une boutique près d'Esquirol. Une partie de ma clientèle du samedi vient de la périphérie en voiture et se gare au parking souterrain. Si on complique l'accès, ils iront au centre commercial.", t + timedelta(days=1), "against")
    c["sebastien"] = _comment(ctx, "debate", d.id, "sebastien", "Livreur depuis dix ans dans l'hypercentre. Je suis contre une fermeture toute la journée, mais une fermeture de 11 h à 19 h avec des aires de livraison aux deux extrémités de la rue, ça peut marcher. Le vrai problème, c'est l'absence de contrôle : aujourd'hui déjà, personne ne respecte les horaires.", t + timedelta(days=1, hours=5), "against")
    c["nadia"] = _comment(ctx, "debate", d.id, "nadia", "Avec une poussette, le week-end est infernal : on slalome entre les terrasses, les piétons et les scooters. Une rue piétonne, c'est enfin un centre-ville où les familles peuvent se promener.", t + timedelta(days=2), "for")
    c["ines"] = _comment(ctx, "debate", d.id, "ines", "Encore une mesure pensée pour ceux qui habitent le centre. Ceux qui viennent des quartiers mal desservis le soir n'ont pas d'autre choix que la voiture.", t + timedelta(days=2, hours=6), "against")
    c["thomas"] = _comment(ctx, "debate", d.id, "thomas", "Question pratique : que deviennent les navettes qui passent aujourd'hui par la rue ? Et les vélos, ils pourront circuler pendant les heures piétonnes ?", t + timedelta(days=3), "neutral")
    r1 = _comment(ctx, "debate", d.id, "karim", "Les taxis et véhicules avec carte de stationnement pour personnes handicapées peuvent en général entrer dans une aire piétonne : ce serait bien que la mairie le confirme noir sur blanc.", t + timedelta(days=1, hours=2), "for", parent=c["bernard"])
    _comment(ctx, "debate", d.id, "bernard", "Merci, si c'est écrit dans l'arrêté et contrôlé, ça change beaucoup de choses pour moi.", t + timedelta(days=1, hours=6), "neutral", parent=r1)
    r2 = _comment(ctx, "debate", d.id, "elu", "Pendant l'essai, les navettes passeraient par les boulevards, avec un arrêt maintenu au plus près de la rue. Les vélos pourraient circuler au pas. Ces points figureront dans l'arrêté, publié avant toute décision.", t + timedelta(days=4), parent=c["thomas"], answer=True)
    _comment(ctx, "debate", d.id, "thomas", "Merci pour la réponse précise.", t + timedelta(days=4, hours=3), parent=r2)
    _comment(ctx, "debate", d.id, "julien", "Le centre commercial a aussi un parking payant. Ce qui fait venir les gens ici, c'est justement l'ambiance de la rue.", t + timedelta(days=1, hours=4), "for", parent=c["martine"])
    # Reactions: Julien's and Inès's arguments are cheered by their own side only; Élodie's and
    # Sébastien's are found useful across sides, and come first in the constructive order.
    _react(ctx, c["julien"], useful=("nadia", "elodie", "lea", "karim"), not_useful=("bernard", "martine", "ines"))
    _react(ctx, c["elodie"], useful=("julien", "nadia", "bernard", "sebastien", "martine", "thomas"))
    _react(ctx, c["sebastien"], useful=("elodie", "bernard", "thomas"), not_useful=("nadia",))
    _react(ctx, c["bernard"], useful=("elodie", "martine", "ines", "karim"))
    _react(ctx, c["ines"], useful=("martine", "bernard", "sebastien"), not_useful=("julien", "nadia", "elodie"))
    _react(ctx, c["martine"], useful=("ines",), not_useful=("julien", "nadia"))
    _react(ctx, c["nadia"], useful=("julien", "elodie", "lea"), not_useful=("martine",))
    _react(ctx, c["thomas"], useful=("karim", "lea", "bernard", "julien"))
    return d


def _school_debate(ctx, now):
    from civic.core.sanitize import render_markdown
    from civic.deliberation import services
    from civic.deliberation.models import Debate
    from civic.extensions import db

    elu = _user(ctx, "elu")
    d = Debate(title="Quelle place pour la voiture aux abords des écoles ?", body_source=SCHOOL_FRAMING,
               body_html=render_markdown(SCHOOL_FRAMING), district_id=None, ends_at=now - timedelta(days=20),
               author_id=elu.id, created_at=now - timedelta(days=75))
    db.session.add(d)
    db.session.flush()
    t = now - timedelta(days=70)
    c = {}
    c["nadia"] = _comment(ctx, "debate", d.id, "nadia", "Devant l'école de mon fils, des voitures se garent sur le passage piéton tous les matins. Une rue scolaire, c'est la seule chose qui marchera vraiment : les enfants pourraient enfin venir à vélo.", t, "for")
    c["martine"] = _comment(ctx, "debate", d.id, "martine", "Je dépose ma fille à 8 h 20 et je dois être au travail à Blagnac à 8 h 45. Sans voiture, c'est impossible. Fermer la rue, c'est punir les parents qui n'ont pas le choix.", t + timedelta(hours=6), "against")
    c["thomas"] = _comment(ctx, "debate", d.id, "thomas", "Pourquoi pas une rue scolaire avec une dépose-minute à deux ou trois minutes à pied ? Les enfants font le dernier bout à pied, en sécurité, et les parents pressés gardent une solution.", t + timedelta(days=1), "for")
    c["ines"] = _comment(ctx, "debate", d.id, "ines", "Fermer la rue devant l'école reporte juste les bouchons dans la rue d'à côté. Il faut d'abord mesurer ce qui se passe dans les rues voisines avant de décider.", t + timedelta(days=1, hours=8), "against")
    c["sebastien"] = _comment(ctx, "debate", d.id, "sebastien", "Le pédibus existe déjà dans certaines écoles : il manque surtout des parents volontaires. La mairie pourrait aider à l'organiser, ça ne coûte presque rien.", t + timedelta(days=2), "neutral")
    c["julien"] = _comment(ctx, "debate", d.id, "julien", "La voiture n'a rien à faire devant une école. Point.", t + timedelta(days=2, hours=4), "for")
    _comment(ctx, "debate", d.id, "elodie", "Je comprends, mais sans solution pour les parents qui travaillent loin, la mesure sera contournée et mal vécue.", t + timedelta(days=2, hours=9), "neutral", parent=c["julien"])
    _comment(ctx, "debate", d.id, "bernard", "Enseignant retraité : les matins de pluie, c'était le pire. Une dépose-minute éloignée de l'entrée, avec un adulte pour accueillir, avait réglé une bonne partie du problème dans mon ancienne école.", t + timedelta(days=3), "neutral", parent=c["thomas"])
    _react(ctx, c["thomas"], useful=("nadia", "julien", "martine", "ines", "bernard", "sebastien"))
    _react(ctx, c["ines"], useful=("martine", "thomas", "nadia"), not_useful=("julien",))
    _react(ctx, c["martine"], useful=("ines", "elodie", "thomas"), not_useful=("julien", "nadia"))
    _react(ctx, c["nadia"], useful=("julien", "thomas", "elodie", "lea"), not_useful=("martine", "ines"))
    _react(ctx, c["julien"], useful=("nadia",), not_useful=("martine", "ines", "thomas"))
    _react(ctx, c["sebastien"], useful=("nadia", "martine", "elodie"))
    services.close_debate(elu, d, SCHOOL_CONCLUSION)
    d.closed_at = now - timedelta(days=12)
    db.session.flush()
    return d


def _petition_comments(ctx, now):
    """Comments on one open petition, if the petitions module registered its kind and loaded some."""
    import sqlalchemy as sa
    from flask_login import AnonymousUserMixin

    from civic.core import content
    from civic.extensions import db

    kind = next((k for k in content.kinds() if k.name == "petition"), None)
    if kind is None or not kind.hooks.get("comments"):
        return
    is_open = kind.hooks.get("comments_open")
    anonymous = AnonymousUserMixin()
    target = None
    for obj in db.session.scalars(sa.select(kind.model).limit(50)):
        if kind.can_view(anonymous, obj) and (is_open is None or is_open(obj)):
            target = obj
            break
    if target is None:
        return
    t = now - timedelta(days=2)
    first = _comment(ctx, "petition", target.id, "nadia", "J'ai signé et partagé avec les parents de l'école. Ce serait bien d'indiquer dans le texte ce qui est attendu précisément de la mairie, et dans quel délai.", t)
    _comment(ctx, "petition", target.id, "thomas", "D'accord : une demande précise aura plus de chances d'obtenir une réponse précise.", t + timedelta(hours=5), parent=first)
    second = _comment(ctx, "petition", target.id, "bernard", "Je n'ai pas signé : je partage le constat, mais la solution proposée me semble coûteuse. Avez-vous regardé ce qui a été fait dans d'autres quartiers ?", t + timedelta(hours=9))
    _comment(ctx, "petition", target.id, "martine", "Je soutiens. Je suis dans le quartier depuis vingt ans et la situation s'est vraiment dégradée.", t + timedelta(days=1))
    _react(ctx, first, useful=("thomas", "bernard", "julien"))
    _react(ctx, second, useful=("thomas", "elodie"), not_useful=("nadia",))


@register_demo(order=60)
def load_deliberation(ctx):
    from civic.core.time import utcnow
    from civic.extensions import db

    if "users" not in ctx or "districts" not in ctx:
        return
    now = utcnow()
    _residents(ctx)
    _pedestrian_debate(ctx, now)
    _school_debate(ctx, now)
    _petition_comments(ctx, now)
    db.session.flush()
