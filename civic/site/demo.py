"""The demo's site: a Toulouse identity, its legal notice and terms, and a
filled accessibility statement (demo data: the audit figures, the auditor
and the host are made up for the demo, and the pages say so)."""

from __future__ import annotations

from datetime import date

from civic.demo import register_demo

LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48" width="48" height="48">
<title>Toulouse participe</title>
<rect x="0" y="0" width="48" height="48" rx="8" fill="#8a1538"/>
<path d="M8 40 H40 V36 H8 Z M12 34 H16 V20 H12 Z M22 34 H26 V20 H22 Z M32 34 H36 V20 H32 Z M8 18 H40 L24 8 Z"
 fill="#ffffff"/>
</svg>"""

LEGAL = """*Données de démonstration : ce texte est un exemple, il ne s’applique à aucun site réel.*

## Éditeur

Mairie de Toulouse, place du Capitole, 31000 Toulouse. Téléphone : 05 61 22 29 22.

Directeur de la publication : le maire de Toulouse.

## Hébergement

Le site est hébergé par une coopérative d’hébergement (exemple de démonstration) : Hébergeur coopératif
d’Occitanie, SCIC, 1 rue de l’Exemple, 31000 Toulouse.

## Logiciel

Le site fonctionne avec Civic, logiciel libre sous licence AGPL-3.0-or-later.

## Propriété intellectuelle

Les contributions des habitants restent les leurs ; elles sont publiées sous licence Creative Commons BY-SA 4.0.
"""

TERMS = """*Données de démonstration.*

## Participer

Chaque personne peut lire toutes les pages sans compte. Pour proposer, commenter, soutenir ou voter, il faut
un compte confirmé ; certains votes sont réservés aux habitants vérifiés.

## Règles de contribution

Restez courtois, parlez des idées et non des personnes. Les contributions contraires à la loi ou à ces règles
peuvent être masquées par la modération, qui en donne la raison.
"""

PRIVACY = """## Responsable du traitement

Mairie de Toulouse, place du Capitole, 31000 Toulouse (données de démonstration).

## Délégué à la protection des données

Vous pouvez écrire au délégué à la protection des données de la ville à l’adresse dpo@demo.civic.localhost.
"""


@register_demo(order=12)  # after the accounts (10): the demo's admin signs every change
def load_site(ctx):
    from civic.site import services

    admin = next((u for u in ctx.get("users", {}).values() if u.has_any_role("admin")), None)
    if admin is None:
        return
    services.update_identity(
        admin, site_name="Toulouse participe", territory_name="Ville de Toulouse",
        logo_alt="Emblème du Capitole", accent="#8a1538",
        footer_links=[("Site de la ville", "https://www.toulouse.fr"),
                      ("Données ouvertes de la métropole", "https://data.toulouse-metropole.fr")],
        logo=LOGO)
    services.save_page(admin, "legal-notice", LEGAL)
    services.save_page(admin, "terms", TERMS)
    services.save_page(admin, "privacy", PRIVACY)
    services.save_statement(
        admin, entity_name="Mairie de Toulouse", site_url="https://participer.demo.civic.localhost",
        status="partial", rate="78.5", audit_date=date(2026, 10, 12),
        audited_by="Cabinet d’audit (données de démonstration)", established_on=date(2026, 11, 2),
        contact_email="accessibilite@demo.civic.localhost",
        contact_postal="Mairie de Toulouse – Accessibilité numérique\nPlace du Capitole\n31000 Toulouse",
        contact_form_url="",
        pages_audited="Accueil\nConnexion\nCréer un compte\nPétitions\nUne pétition\nBudget participatif\n"
                      "Bulletin de vote du budget participatif\nConcertations\nRépondre à une concertation\n"
                      "Déclaration d’accessibilité\nMentions légales",
        non_conformities="Les graphiques des résultats n’ont pas toujours d’alternative textuelle détaillée "
                         "(critère 1.3).\nCertains documents PDF joints aux concertations ne sont pas balisés "
                         "(critère 13.3).\nLe changement de langue n’est pas signalé sur quelques citations "
                         "(critère 8.7).",
        derogations="Plans des quartiers au format PDF numérisé antérieurs à 2020 : une version décrite est "
                    "envoyée sur demande.",
        not_subject="Vidéos des réunions publiques en direct.\nDocuments bureautiques publiés avant le "
                    "23 septembre 2018.",
        technologies="HTML5\nCSS\nSVG\nJavaScript (facultatif : chaque page fonctionne sans)",
        tools="axe-core\nWAVE\nAnalyseur de contraste de couleurs\nValidateur HTML du W3C",
        environment="Firefox avec NVDA sous Windows\nSafari avec VoiceOver sous macOS et iOS\n"
                    "Chrome avec TalkBack sous Android",
    )
