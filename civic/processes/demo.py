"""Demo data: "Plan vélo 2027" open for proposals now, and a past process,
"Réaménagement de la place Arnaud-Bernard", with answered, accepted,
rejected and implemented proposals. Everything goes through the services;
dates are moved back with a flush listener so the timelines look lived-in."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from civic.demo import register_demo

RESIDENTS = [
    ("margaux@demo.civic.localhost", "Margaux L.", "T01"),
    ("yanis@demo.civic.localhost", "Yanis B.", "T01"),
    ("helene@demo.civic.localhost", "Hélène G.", "T01"),
    ("thomas@demo.civic.localhost", "Thomas R.", "T03"),
    ("ines@demo.civic.localhost", "Inès M.", "T05"),
    ("jules@demo.civic.localhost", "Jules P.", "T08"),
    ("fatou@demo.civic.localhost", "Fatou D.", "T10"),
    ("bernard@demo.civic.localhost", "Bernard V.", "T13"),
]

VELO = [
    ("habitante", "Une piste cyclable continue sur les allées Jean-Jaurès",
     "Aujourd'hui la piste s'interrompt à chaque carrefour.\n\n- séparer physiquement la piste des voitures\n"
     "- des feux dédiés aux vélos aux carrefours\n- un marquage au sol lisible la nuit", "T01", "Pistes cyclables",
     "Allées Jean-Jaurès", 7),
    ("habitant", "Des arceaux vélos devant chaque école du Mirail",
     "Les parents qui accompagnent les enfants à vélo attachent leurs vélos aux grilles. Il faudrait au moins "
     "dix arceaux couverts devant chaque groupe scolaire du quartier.", "T17", "Stationnement", None, 5),
    ("margaux", "Un atelier de réparation vélo solidaire à Arnaud-Bernard",
     "Un local associatif où l'on apprend à réparer son vélo, avec des outils en libre accès deux soirs par "
     "semaine et le samedi matin.", "T01", "Services", "Place Arnaud-Bernard", 3),
    ("thomas", "Sécuriser le passage du canal du Midi à Bayard",
     "Le croisement entre le chemin de halage et le boulevard est dangereux : les cyclistes et les piétons "
     "se partagent un trottoir étroit. Un passage surélevé et un meilleur éclairage régleraient le problème.",
     "T03", "Sécurité", "Pont Bayard", 2),
    ("ines", "Des vélos cargos en prêt pour les familles",
     "Prêter gratuitement des vélos cargos pendant un mois aux familles qui veulent essayer avant d'acheter, "
     "avec une aide à l'achat ensuite.", "T05", "Services", None, 4),
    ("fatou", "Une zone 30 autour du marché de Soupetard",
     "Les jours de marché, les voitures roulent vite rue de Soupetard. Une zone 30 et deux plateaux "
     "ralentisseurs protégeraient piétons et cyclistes.", "T10", "Sécurité", "Marché de Soupetard", 1),
    ("jules", "Une carte des itinéraires cyclables apaisés",
     "Publier et afficher aux stations de métro une carte des rues calmes pour traverser la ville à vélo sans "
     "passer par les grands axes.", None, "Information", None, 0),
]

PLACE = [
    ("margaux", "Planter des arbres pour ombrager la place",
     "En été la place est une dalle brûlante. Planter une dizaine d'arbres de haute tige et installer des "
     "bancs à l'ombre.", "accepted", "implemented"),
    ("yanis", "Garder un espace libre pour le marché et les fêtes",
     "La place doit rester un lieu de vie : il faut garder un grand espace dégagé pour le marché, les "
     "concerts et le carnaval.", "accepted", None),
    ("helene", "Un parking souterrain sous la place",
     "Creuser un parking de deux niveaux pour libérer les rues voisines des voitures.", "rejected", None),
    ("habitante", "Une fontaine à boire et des toilettes publiques",
     "Une fontaine d'eau potable et des toilettes publiques gratuites et accessibles aux fauteuils.",
     "accepted", "in_progress"),
]

ANSWERS = {
    "Planter des arbres pour ombrager la place": (
        "La Ville retient cette proposition. Quatorze arbres (micocouliers et platanes) seront plantés à "
        "l'automne, avec des bancs en bois. Les travaux sont financés par le budget de réaménagement."),
    "Garder un espace libre pour le marché et les fêtes": (
        "Proposition retenue : le plan final garde un espace dégagé de 1 200 m² au centre de la place, "
        "dimensionné avec les commerçants du marché."),
    "Un parking souterrain sous la place": (
        "La Ville ne retient pas cette proposition : l'étude de sol montre une nappe d'eau à faible profondeur "
        "et le coût dépasserait 12 millions d'euros. Le parking des Carmes reste à dix minutes à pied."),
    "Une fontaine à boire et des toilettes publiques": (
        "Proposition retenue. Une fontaine et des toilettes accessibles seront installées côté rue des Lois ; "
        "le marché public est en cours."),
}


# Flat-colour drawings made at demo time (civic.core.pictures.illustration), by VELO index.
VELO_PICTURES = {
    0: ("bike", "Dessin d'un vélo rouge sur une piste cyclable bordée de pelouse", {}),
    1: ("bench", "Dessin d'un banc rouge devant une école", {}),
    4: ("bike", "Dessin d'un vélo bleu pour les familles", {"accent": (40, 90, 170)}),
}


@contextmanager
def _clock(session, when):
    """Give rows created in the block (proposals, supports, audit entries...) a
    past ``created_at``: the demo shows histories that took months."""
    def before_flush(sess, _ctx, _instances):
        for obj in sess.new:
            if hasattr(obj, "created_at"):
                obj.created_at = when[0]

    event.listen(session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(session, "before_flush", before_flush)


@register_demo(order=65)
def load_processes(ctx):
    from werkzeug.security import generate_password_hash

    from civic.accounts.models import User, Verification, VerificationMethod
    from civic.core import phases, pictures
    from civic.core.time import utcnow
    from civic.extensions import db
    from civic.processes import services

    districts, users = ctx["districts"], ctx["users"]
    admin, elu = users["admin@demo.civic.localhost"], users["elu@demo.civic.localhost"]
    now = utcnow()
    pw = generate_password_hash(ctx.get("password") or "civic-demo-2026")
    people = {"habitante": users["habitante@demo.civic.localhost"], "habitant": users["habitant@demo.civic.localhost"]}
    for email, name, code in RESIDENTS:
        u = User(email=email, display_name=name, password_hash=pw, locale="fr", email_confirmed_at=now,
                 district_id=districts[code].id)
        db.session.add(u)
        db.session.flush()
        db.session.add(Verification(user_id=u.id, district_id=districts[code].id, method=VerificationMethod.IN_PERSON))
        people[email.split("@")[0]] = u
    db.session.flush()
    ctx.setdefault("accounts", []).extend((e, n, "verified resident") for e, n, _c in RESIDENTS)
    supporters = list(people.values())

    # --- Plan vélo 2027: proposals and supports open now ---------------------------
    velo = services.create_process(admin, services.ProcessData(
        title="Plan vélo 2027",
        summary="Proposez et soutenez les aménagements qui rendront le vélo plus sûr et plus simple dans toute la ville.",
        description=("La Ville prépare son plan vélo pour 2027. **Toutes les propositions** recevront une "
                     "réponse publique de la Ville dès qu'elles atteignent 5 soutiens.\n\n"
                     "## Calendrier\n\n- information et ateliers de quartier\n- dépôt et soutien des propositions\n"
                     "- étude par les services\n- réponses et arbitrages publiés"),
        categories=["Pistes cyclables", "Stationnement", "Sécurité", "Services", "Information"],
        support_limit=5, threshold_type="count", threshold_value=5, answer_delay_days=60))
    services.save_phases(admin, velo, [
        phases.PhaseSpec("information", "Information et ateliers", now - timedelta(days=45), now - timedelta(days=20)),
        phases.PhaseSpec("proposals", "Dépôt et soutien des propositions", now - timedelta(days=20),
                         now + timedelta(days=25), ("submit", "support", "comment")),
        phases.PhaseSpec("evaluation", "Étude par les services", now + timedelta(days=25), now + timedelta(days=70),
                         ("comment",)),
        phases.PhaseSpec("results", "Réponses et arbitrages", now + timedelta(days=70)),
    ])
    services.publish_process(admin, velo)
    pictures.demo_picture(admin, "process", velo.id, "bike",
                          "Dessin d'un vélo rouge sur une pelouse, sous un ciel bleu")
    clock = [now - timedelta(days=18)]
    with _clock(db.session, clock):
        for i, (who, title, body, dcode, cat, place, n_supports) in enumerate(VELO):
            clock[0] = now - timedelta(days=18 - 2 * i)
            p = services.submit_proposal(people[who], velo, services.ProposalData(
                title=title, body=body, district_id=districts[dcode].id if dcode else None, category=cat,
                place=place))
            if i in VELO_PICTURES:
                motif, alt, colours = VELO_PICTURES[i]
                pictures.demo_picture(people[who], "proposal", p.id, motif, alt, **colours)
            for j, s in enumerate(u for u in supporters if u.id != p.author_id):
                if j >= n_supports:
                    break
                clock[0] += timedelta(hours=5)
                services.support_proposal(s, p, notify=j % 2 == 0)
            db.session.flush()
    services.add_clarification(people["habitante"], _by_title(velo, VELO[0][1]),
                               "Précision : je pense surtout à la portion entre Jean-Jaurès et Marengo.")
    services.propose_amendment(people["margaux"], _by_title(velo, VELO[1][1]), VELO[1][1],
                               VELO[1][2] + " Les arceaux devraient aussi accueillir des vélos cargos.",
                               "Beaucoup de parents utilisent des vélos cargos : il faut des arceaux adaptés.")
    db.session.flush()

    # --- Place Arnaud-Bernard: a past process with answers and follow-up ----------
    place = services.create_process(admin, services.ProcessData(
        title="Réaménagement de la place Arnaud-Bernard",
        summary="Les habitantes et habitants ont proposé comment réaménager la place ; voici les réponses et le suivi.",
        description=("La place Arnaud-Bernard va être réaménagée. Cette concertation a recueilli les "
                     "propositions du quartier avant l'étude du projet."),
        district_id=districts["T01"].id, categories=["Végétalisation", "Usages", "Équipements", "Circulation"],
        threshold_type="none", answer_delay_days=90))
    services.save_phases(admin, place, [
        phases.PhaseSpec("information", "Réunion publique", now - timedelta(days=420), now - timedelta(days=400)),
        phases.PhaseSpec("proposals", "Propositions", now - timedelta(days=400), None,
                         ("submit", "support", "comment")),
        phases.PhaseSpec("evaluation", "Étude des propositions", now + timedelta(days=3650)),
        phases.PhaseSpec("results", "Résultats et suivi des travaux", now + timedelta(days=3651)),
    ])
    services.publish_process(admin, place)
    pictures.demo_picture(admin, "process", place.id, "square",
                          "Dessin d'une place pavée avec un kiosque au toit rouge", accent=(190, 60, 50))
    created = []
    clock = [now - timedelta(days=395)]
    with _clock(db.session, clock):
        for i, (who, title, body, decision, follow) in enumerate(PLACE):
            clock[0] = now - timedelta(days=395 - 4 * i)
            cats = ["Végétalisation", "Usages", "Circulation", "Équipements"]
            p = services.submit_proposal(people[who], place, services.ProposalData(
                title=title, body=body, district_id=districts["T01"].id, category=cats[i], place="Place Arnaud-Bernard"))
            for s in [u for u in supporters if u.id != p.author_id][: 6 - i]:
                clock[0] += timedelta(hours=7)
                services.support_proposal(s, p, notify=True)
            created.append((p, decision, follow))
        db.session.flush()
        # The phases happened in the past: put their real dates back, then let the clock move the process.
        rows = phases.phases_for("process", place.id)
        rows[1].ends_at = now - timedelta(days=340)
        rows[2].starts_at, rows[2].ends_at = now - timedelta(days=340), now - timedelta(days=250)
        rows[3].starts_at = now - timedelta(days=250)
        db.session.flush()
        clock[0] = now - timedelta(days=335)
        for p, _decision, _follow in created:
            services.mark_evaluating(elu, p, "Étude technique")
        db.session.flush()
        for k, (p, decision, follow) in enumerate(created):
            clock[0] = now - timedelta(days=330 - 5 * k)
            services.answer_proposal(elu, p, decision, ANSWERS[p.title])
            p.answered_at = clock[0]
            db.session.flush()
            if follow == "implemented":
                clock[0] = now - timedelta(days=200)
                services.add_implementation_update(elu, p, "in_progress", 40,
                                                   "Le chantier a commencé : les fosses de plantation sont creusées.")
                db.session.flush()
                clock[0] = now - timedelta(days=90)
                services.add_implementation_update(elu, p, "done", 100,
                                                   "Travaux terminés : les arbres sont plantés et les bancs posés.")
            elif follow:
                clock[0] = now - timedelta(days=120)
                services.add_implementation_update(elu, p, "in_progress", 30,
                                                   "Le marché de travaux est attribué ; pose prévue au printemps.")
        db.session.flush()
    services.move_process_phase(admin, place, phases.phases_for("process", place.id)[-1].id,
                                "Fin de l'étude : publication des résultats")
    services.publish_results(admin, place, (
        "Quatre propositions ont été déposées et ont toutes reçu une réponse. **Trois ont été retenues** et "
        "intégrées au projet ; le parking souterrain n'a pas été retenu pour des raisons techniques et de coût.\n\n"
        "Les travaux ont commencé au printemps ; leur avancement est publié sur chaque proposition."))
    db.session.flush()
    ctx["processes"] = {"velo": velo, "place": place}


def _by_title(process, title):
    import sqlalchemy as sa

    from civic.extensions import db
    from civic.processes.models import Proposal

    return db.session.scalar(sa.select(Proposal).where(Proposal.process_id == process.id, Proposal.title == title))
