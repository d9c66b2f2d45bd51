"""Demo consultations for a Toulouse-like city: one open with every question
type, one closed with results and a published follow-up, one closed whose
follow-up is overdue. Answers are drawn with a fixed seed, enough for some
districts to reach the k = 10 threshold and others not."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from civic.demo import register_demo

TEXTS = [
    "Ouvrir le dimanche matin plutôt que l'après-midi, pour les familles.",
    "Des horaires identiques dans toutes les bibliothèques de quartier, c'est plus simple à retenir.",
    "Prévoir des bancs à l'ombre le long du cheminement.",
    "Attention aux racines des platanes lors des travaux.",
    "Plus de places pour attacher les vélos près des entrées.",
    "Éclairer le chemin le soir, mais sans éblouir la faune de la berge.",
    "Une séparation nette entre piétons et vélos sur la promenade.",
    "Je travaille en horaires décalés : une ouverture tôt le matin m'aiderait.",
    "Garder des espaces sans aménagement, la berge sauvage a son charme.",
    "Des toilettes publiques accessibles aux personnes en fauteuil.",
]


def _weighted(rng, options, weights):
    return rng.choices(options, weights=weights, k=1)[0]


def _answers(rng, c, bias: int = 0) -> dict:
    """One plausible response; ``bias`` shifts preferences by district."""
    from .models import QuestionKind

    out = {}
    for q in c.questions:
        ids = [ch.id for ch in q.choices]
        if not q.required and rng.random() < 0.3:
            continue
        if q.kind == QuestionKind.SINGLE:
            weights = [4, 2, 3, 1][:len(ids)] if not bias else [1, 2, 4, 2][:len(ids)]
            weights += [1] * (len(ids) - len(weights))
            out[str(q.id)] = {"choices": [_weighted(rng, ids, weights)]}
        elif q.kind == QuestionKind.MULTIPLE:
            n = rng.randint(1, q.max_choices or len(ids))
            out[str(q.id)] = {"choices": rng.sample(ids, n)}
        elif q.kind == QuestionKind.RANKING:
            order = sorted(ids, key=lambda i: rng.random() + (0.4 if (ids.index(i) + bias) % 3 == 0 else 0))
            out[str(q.id)] = {"choices": order[:rng.randint(1, q.max_choices or len(ids))]}
        elif q.kind == QuestionKind.SCALE:
            out[str(q.id)] = {"value": _weighted(rng, [1, 2, 3, 4, 5], [1, 2, 2, 4, 3] if not bias else [3, 3, 2, 2, 1])}
        elif rng.random() < 0.35:
            out[str(q.id)] = {"text": rng.choice(TEXTS)}
    return out


def _add_responses(rng, c, spread: dict, users: list, today) -> int:
    """Write participations and unlinked responses as the services do."""
    from civic.extensions import db

    from .models import AnonymousResponse, ConsultationParticipation, FreeTextAnswer

    n = 0
    for district, count in spread.items():
        for _i in range(count):
            user = users.pop() if users and rng.random() < 0.5 else None
            n += 1
            db.session.add(ConsultationParticipation(consultation_id=c.id, user_id=user.id if user else None,
                                         paper_reference=None if user else f"P-{c.id}-{n:04d}",
                                         on_paper=user is None, answered_on=today, notify=False))
            answers = _answers(rng, c, bias=1 if district is not None and district.code in ("T17", "T05") else 0)
            r = AnonymousResponse(id=uuid.uuid4(), consultation_id=c.id, district_id=district.id if district else None,
                         answers=answers)
            db.session.add(r)
            db.session.flush()
            for q in c.questions:
                text = (answers.get(str(q.id)) or {}).get("text")
                if text:
                    db.session.add(FreeTextAnswer(consultation_id=c.id, question_id=q.id, response_id=r.id, text=text))
    db.session.flush()
    return n


@register_demo(order=75)
def load_consultations(ctx):
    from werkzeug.security import generate_password_hash

    from civic.accounts.models import User
    from civic.core import content
    from civic.core.errors import NotFound
    from civic.core.time import today as local_today
    from civic.core.time import utcnow
    from civic.extensions import db

    from . import jobs, services
    from .models import Eligibility, FreeTextAnswer, Outcome, Review

    rng = random.Random(2026)
    d = ctx["districts"]
    official = ctx["users"]["elu@demo.civic.localhost"]
    now = utcnow()
    today = local_today()
    # A few more residents, so that online participations exist besides paper forms.
    pw = generate_password_hash("civic-demo-2026")
    residents = []
    for i, (first, code) in enumerate([("Inès", "T06"), ("Hugo", "T06"), ("Margaux", "T05"), ("Yanis", "T17"),
                                       ("Chloé", "T01"), ("Mehdi", "T17"), ("Louise", "T08"), ("Théo", "T06")], 1):
        u = User(email=f"resident{i:02d}@demo.civic.localhost", display_name=f"{first} (habitant·e)", password_hash=pw,
                 locale="fr", email_confirmed_at=now, district_id=d[code].id)
        db.session.add(u)
        residents.append(u)
    db.session.flush()

    # 1. Open, with every question type.
    libraries = services.create_consultation(
        official, title="Concertation sur les horaires des bibliothèques de Toulouse",
        context=("La Ville envisage d'élargir les horaires d'ouverture de ses 22 bibliothèques à moyens constants. "
                 "Ouvrir le dimanche ou plus tard le soir suppose de réorganiser les plannings des équipes.\n\n"
                 "**Ce qui est décidé** : aucune bibliothèque ne perdra d'heures d'ouverture.\n\n"
                 "**Ce qui reste ouvert** : quels créneaux ajouter, et dans quelles bibliothèques en priorité."),
        documents=[{"title": "Diagnostic de fréquentation 2025",
                    "url": "https://example.org/toulouse/bibliotheques/diagnostic-2025.pdf"},
                   {"title": "Plannings actuels des équipes (résumé)",
                    "url": "https://example.org/toulouse/bibliotheques/plannings-2025.pdf"}],
        eligibility=Eligibility.CONFIRMED_EMAIL, opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=20), results_due_on=today + timedelta(days=50))
    services.add_question(official, libraries, kind="single", prompt="Quelle bibliothèque fréquentez-vous le plus ?",
                          choices=["Médiathèque José Cabanis", "Bibliothèque d'étude et du patrimoine",
                                   "Une bibliothèque de quartier", "Aucune pour le moment"], allow_other=True)
    services.add_question(official, libraries, kind="multiple",
                          prompt="Quels créneaux supplémentaires vous seraient les plus utiles ?",
                          help_text="Deux réponses au plus.", max_choices=2, allow_other=True,
                          choices=["Le dimanche après-midi", "Jusqu'à 21 h en semaine", "Pendant la pause de midi",
                                   "Le samedi dès 9 h"])
    services.add_question(official, libraries, kind="ranking", prompt="Classez les services à renforcer en priorité",
                          help_text="Trois places au plus.", max_choices=3,
                          choices=["Prêt de livres, films et jeux", "Espaces de travail au calme",
                                   "Ateliers numériques", "Animations pour les enfants", "Accès aux fonds patrimoniaux"])
    services.add_question(official, libraries, kind="scale",
                          prompt="Ouvrir le dimanche justifie de fermer un matin en semaine.")
    services.add_question(official, libraries, kind="text", prompt="Une autre idée pour les horaires ?",
                          required=False, help_text="N'indiquez ni nom ni adresse : les réponses peuvent être publiées.")
    services.publish_consultation(official, libraries)
    _add_responses(rng, libraries, {d["T06"]: 6, d["T17"]: 4, d["T01"]: 3, None: 2}, residents[:3], today)

    # 2. Closed, results computed, follow-up published on time.
    banks = services.create_consultation(
        official, title="Aménagement des berges de la Garonne à Saint-Cyprien",
        context=("Le quai de la rive gauche, entre le pont Saint-Pierre et le pont Neuf, doit être réaménagé. "
                 "Nous avons demandé aux habitantes et habitants ce qu'ils attendent de cette promenade."),
        district_id=None, eligibility=Eligibility.CONFIRMED_EMAIL, opens_on=today, closes_on=today,
        results_due_on=today)
    q_use = services.add_question(official, banks, kind="single", prompt="Quel usage de la berge doit primer ?",
                                  choices=["La promenade à pied", "Le vélo", "La détente et les pique-niques",
                                           "La nature et la biodiversité"])
    q_rank = services.add_question(official, banks, kind="ranking", prompt="Classez les aménagements souhaités",
                                   max_choices=3, choices=["Des arbres et de l'ombre", "Des bancs",
                                                           "Un éclairage doux", "Des jeux pour enfants"])
    q_scale = services.add_question(official, banks, kind="scale",
                                    prompt="Il faut séparer les piétons et les cyclistes sur la promenade.")
    services.add_question(official, banks, kind="text", prompt="Votre idée pour la berge", required=False)
    services.publish_consultation(official, banks)
    _add_responses(rng, banks, {d["T06"]: 24, d["T05"]: 13, d["T01"]: 8, d["T19"]: 5, d["T17"]: 4, None: 3},
                   residents[3:6], today)
    _backdate(banks, today - timedelta(days=80), today - timedelta(days=40), today - timedelta(days=10))
    jobs.publish_results(banks.id)
    texts = db.session.scalars(db.select(FreeTextAnswer).where(FreeTextAnswer.consultation_id == banks.id)).all()
    for i, t in enumerate(texts):
        # Most texts reviewed; a few left in the moderators' queue.
        if i < len(texts) - 3:
            t.review = Review.EXCLUDED if i % 7 == 3 else Review.APPROVED
    banks.results_computed_at = banks.closed_at + timedelta(hours=1)
    services.save_followup(
        official, banks,
        heard=("Près de 60 personnes ont répondu, dont une partie sur papier à la mairie de quartier. "
               "La promenade à pied arrive en tête, mais une forte minorité, surtout à Saint-Michel, "
               "demande avant tout de la nature.\n\nLa séparation des piétons et des vélos est largement "
               "soutenue ; plusieurs réponses s'inquiètent des platanes existants."),
        next_steps=[{"date": today + timedelta(days=30), "text": "Présentation du projet détaillé en réunion publique"},
                    {"date": today + timedelta(days=120), "text": "Début des travaux"},
                    {"date": today + timedelta(days=300), "text": "Ouverture de la promenade"}])
    services.add_decision(official, banks, title="Une voie cyclable séparée de la promenade piétonne",
                          text="La piste passera côté quai ; la promenade reste côté fleuve.", question_id=q_scale.id)
    services.add_decision(official, banks, title="Quarante arbres plantés et aucun platane abattu",
                          text="Les bancs sont placés à l'ombre des nouvelles plantations.", question_id=q_rank.id)
    decision = services.add_decision(official, banks, title="Pas d'aire de jeux sur la berge",
                                     text="Elle sera installée au jardin Raymond-VI, tout proche, hors zone "
                                          "inondable.", question_id=q_use.id)
    # Link a contribution from another module when one was loaded before us.
    for kind_name in ("proposal", "petition"):
        try:
            kind = content.get_kind(kind_name)
        except NotFound:
            continue
        obj = db.session.scalars(db.select(kind.model).limit(1)).first()
        if obj is not None:
            services.link_contribution(official, banks, decision.id, kind=kind_name, object_id=obj.id,
                                       outcome=Outcome.PARTLY.value,
                                       reason="L'idée est reprise au jardin Raymond-VI, à deux pas de la berge.")
            break
    banks.followup_published_at = banks.results_due_at - timedelta(days=3)

    # 3. Closed, results computed, follow-up overdue.
    bikes = services.create_consultation(
        official, title="Plan vélo : nouvelles pistes cyclables aux Minimes",
        context="Trois tracés sont possibles pour relier les Minimes au centre-ville. Lequel préférez-vous ?",
        district_id=d["T08"].id, eligibility=Eligibility.RESIDENTS, opens_on=today, closes_on=today,
        results_due_on=today)
    services.add_question(official, bikes, kind="single", prompt="Quel tracé préférez-vous ?",
                          choices=["Par l'avenue des Minimes", "Par le canal du Midi", "Par la rue Négreneys"])
    services.add_question(official, bikes, kind="scale", prompt="Je prendrais le vélo plus souvent avec cette piste.")
    services.publish_consultation(official, bikes)
    _add_responses(rng, bikes, {d["T08"]: 31, d["T09"]: 7, d["T07"]: 4}, residents[6:], today)
    _backdate(bikes, today - timedelta(days=75), today - timedelta(days=45), today - timedelta(days=15))
    jobs.publish_results(bikes.id)
    bikes.results_computed_at = bikes.closed_at + timedelta(hours=1)
    db.session.flush()


def _backdate(c, opens_on, closes_on, due_on) -> None:
    """Demo only: move a consultation's answering period into the past and
    close it, as the periodic job would have done on its closing day."""
    from civic.core.time import end_of_day, start_of_day
    from civic.core.transitions import transition
    from civic.extensions import db

    from .models import FLOW, ConsultationParticipation, Status

    c.opens_at = start_of_day(opens_on)
    c.closes_at = end_of_day(closes_on)
    c.results_due_at = end_of_day(due_on)
    c.published_at = c.opens_at
    transition(c, FLOW, Status.CLOSED, None, "consultation.closed", attr="status")
    c.closed_at = c.closes_at
    db.session.execute(db.update(ConsultationParticipation).where(ConsultationParticipation.consultation_id == c.id)
                       .values(answered_on=closes_on - timedelta(days=3)))
    db.session.flush()
