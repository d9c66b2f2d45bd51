"""Demo newsletters: residents who asked for the letter, one letter sent to
the whole city through the real sender, one scheduled for Saint-Cyprien's
residents, one draft."""

from __future__ import annotations

from datetime import timedelta

from civic.demo import register_demo

SENT = """Bonjour,

Voici les nouvelles de la participation à Toulouse ce mois-ci.

**Budget participatif** : le vote est ouvert. Chaque habitante et habitant peut soutenir les projets
de son quartier, en ligne ou sur papier dans les mairies de quartier.

**Concertation sur les bibliothèques** : vous avez jusqu’à la fin du mois pour dire quels créneaux
vous seraient les plus utiles.

**Pétitions** : la ville a répondu à la pétition sur les pistes cyclables du pont Saint-Pierre.
Sa réponse est en ligne, avec les dates des travaux.

Toutes les démarches : https://participer.toulouse.example/processes

À bientôt,
L’équipe de la démocratie locale
"""

SCHEDULED = """Bonjour,

Une réunion publique sur l’aménagement des berges de la Garonne aura lieu à la salle
Ernest-Renan le jeudi à 18 h 30. Les plans proposés par les habitants y seront présentés.

Entrée libre, salle accessible en fauteuil roulant.
"""

DRAFT = """Bonjour,

Le bilan de l’année de participation est en préparation : combien de pétitions, de projets
votés, de réponses de la ville, et dans quels délais.
"""


@register_demo(order=95)
def load_newsletters(ctx):
    from flask import current_app
    from flask_babel import force_locale

    from civic.core import consents
    from civic.core.time import utcnow
    from civic.extensions import db

    from . import sending, services

    users, d = ctx["users"], ctx["districts"]
    admin, elu = users["admin@demo.civic.localhost"], users["elu@demo.civic.localhost"]
    readers = [u for email, u in users.items() if email in (
        "habitante@demo.civic.localhost", "habitant@demo.civic.localhost", "elu@demo.civic.localhost")]
    with force_locale("fr"):
        for u in readers:
            consents.give(u, sending.TOPIC)
        sent = services.create_newsletter(admin, "La participation à Toulouse en décembre", SENT, None)
        services.schedule(admin, sent, None)
        db.session.commit()
        sending.run_sender()
        later = services.create_newsletter(elu, "Réunion publique sur les berges de la Garonne", SCHEDULED,
                                           d["T06"].id)
        services.schedule(elu, later, utcnow() + timedelta(days=3))
        services.create_newsletter(admin, "Bilan de l’année de la participation", DRAFT, None)
    current_app.logger.info("demo: newsletters loaded")
