"""Demo data: the "Convention citoyenne de Toulouse sur l'eau", 30 residents
drawn by lot, six sessions over ten months, documents, expert hearings, two
working groups and five recommendations adopted with their votes; the city has
answered two (one on time, one late, the first followed by implementation
updates), one answer is overdue and two are still due. Everything goes through
the services; dates are then set back so the timeline looks lived-in."""

from __future__ import annotations

from datetime import timedelta

from civic.demo import register_demo

FIRST_NAMES = [
    ("Amélie", True), ("Karim", True), ("Solène", False), ("Mathieu", True), ("Nadia", True), ("Pierre", False),
    ("Léa", True), ("Rachid", True), ("Chantal", True), ("Hugo", False), ("Élodie", True), ("Samir", True),
    ("Monique", False), ("Baptiste", True), ("Aïcha", True), ("Julien", True), ("Gisèle", False), ("Théo", True),
    ("Mireille", True), ("Youssef", False), ("Camille", True), ("Lucas", True), ("Odile", False), ("Mehdi", True),
    ("Sandrine", True), ("Antoine", False), ("Zoé", True), ("Jean-Marc", True), ("Farida", False), ("Noah", True),
]

SITTINGS = [
    (300, "Séance 1 : accueil et mandat", "Salle du Sénéchal",
     "Présentation du mandat, des règles de délibération et des garants."),
    (265, "Séance 2 : d'où vient notre eau ?", "Usine de Clairfont",
     "Visite de l'usine de production d'eau potable et audition sur la ressource."),
    (225, "Séance 3 : prix et usages", "Salle du Sénéchal", "Auditions sur la tarification et les usages de l'eau."),
    (185, "Séance 4 : travail en groupes", "Maison de la citoyenneté Centre",
     "Les deux groupes de travail préparent leurs premières propositions."),
    (140, "Séance 5 : premiers votes", "Salle du Sénéchal", "Débat et vote des trois premières recommandations."),
    (75, "Séance 6 : votes finaux et remise", "Capitole, salle des Illustres",
     "Vote des dernières recommandations et remise du rapport au conseil municipal."),
]

DOCUMENTS = [
    ("Lettre de mandat du maire", "Le texte de la question posée à la convention.", "", 0),
    ("Rapport annuel sur le prix et la qualité du service de l'eau", "Chiffres clés du service public de l'eau.",
     "https://www.eaufrance.fr/", 1),
    ("Synthèse des études sur l'étiage de la Garonne", "Projection des débits d'été à l'horizon 2050.", "", 1),
    ("Comparatif des tarifications sociales de l'eau en France", "Préparé par les services pour le groupe 2.", "", 2),
]

HEARINGS = [
    ("Dr Claire Fontan", "Hydrologue, université Toulouse III", "La Garonne en été : ce qui nous attend", 1),
    ("Marc Deloffre", "Directeur de la régie de l'eau", "Produire et distribuer l'eau potable", 1),
    ("Sophie Arnal", "Association de consommateurs", "Tarification sociale et impayés", 2),
    ("Jean Castex-Lacoste", "Agence de l'eau Adour-Garonne", "Partage de l'eau entre agriculture, ville et nature", 2),
]

GROUPS = [
    ("Ressource et qualité de l'eau", "Préserver la ressource face aux sécheresses et protéger sa qualité."),
    ("Tarifs et usages", "Un prix juste, des économies d'eau et l'accès de toutes et tous."),
]

RECOMMENDATIONS = [
    # (title, body, group index, votes for/against/abstentions, session index)
    ("Une tarification progressive avec des premiers mètres cubes gratuits",
     "Les 15 premiers m³ par personne et par an sont gratuits ; au-delà, le prix augmente par tranches pour "
     "décourager les consommations de confort (piscines, arrosage).", 1, (24, 3, 2), 4),
    ("Récupérer les eaux de pluie dans tous les bâtiments municipaux",
     "Chaque école, gymnase et bâtiment de la Ville est équipé d'une cuve de récupération d'eau de pluie pour "
     "l'arrosage et les sanitaires d'ici 2030.", 0, (27, 1, 1), 4),
    ("Un plan de détection des fuites du réseau",
     "Le réseau perd près d'un litre sur cinq. La Ville finance un plan de recherche et de réparation des fuites "
     "avec un objectif de rendement de 90 % en 2032.", 0, (28, 0, 1), 4),
    ("Des fontaines publiques dans chaque quartier",
     "Au moins une fontaine d'eau potable par quartier, accessible toute l'année, signalée sur une carte.", 1,
     (22, 4, 3), 5),
    ("Protéger les captages de la Garonne",
     "Acquérir progressivement les terrains autour des points de captage et y accompagner une agriculture sans "
     "pesticides.", 0, (19, 7, 3), 5),
]


@register_demo(order=78)
def load_assemblies(ctx):
    from civic.assemblies import services
    from civic.core.time import start_of_day, utcnow
    from civic.extensions import db

    users = ctx["users"]
    admin, elu = users["admin@demo.civic.localhost"], users["elu@demo.civic.localhost"]
    now = utcnow()
    assembly = services.create_assembly(admin, services.AssemblyData(
        title="Convention citoyenne de Toulouse sur l'eau",
        summary="30 Toulousaines et Toulousains tirés au sort ont travaillé dix mois sur l'avenir de notre eau.",
        mandate=("**Comment garantir à toutes et tous une eau de qualité, à un prix juste, face aux sécheresses "
                 "à venir ?**\n\nLe maire s'est engagé à répondre publiquement à chaque recommandation dans un "
                 "délai de 90 jours et à rendre compte de leur mise en œuvre."),
        size=30, answer_delay_days=90))
    services.move_assembly(admin, assembly, "selecting")
    # The one demo resident who sits in the assembly sees the "show my first name" choice.
    habitante = users.get("habitante@demo.civic.localhost")
    members = []
    for i, (name, shown) in enumerate(FIRST_NAMES):
        email = habitante.email if (i == 0 and habitante is not None) else ""
        members.append(services.add_member(admin, assembly, name, email, shown))
    services.move_assembly(admin, assembly, "sitting")
    sittings = []
    for days, title, place, summary in SITTINGS:
        day = (now - timedelta(days=days)).date()
        start = start_of_day(day) + timedelta(hours=9)
        sittings.append(services.add_sitting(admin, assembly, title, start, start + timedelta(hours=7), place, summary))
    for title, description, url, s in DOCUMENTS:
        services.add_document(admin, assembly, title, description, url, sittings[s].id)
    for expert, affiliation, topic, s in HEARINGS:
        services.add_hearing(admin, assembly, expert, topic, affiliation,
                             f"Compte rendu de l'audition de {expert} sur « {topic} ».", sittings[s].id)
    groups = [services.add_group(admin, assembly, name, remit, [m.id for m in members[g::2]])
              for g, (name, remit) in enumerate(GROUPS)]
    recs = []
    for title, body, g, (v_for, v_against, v_abstain), s in RECOMMENDATIONS:
        recs.append(services.adopt_recommendation(admin, assembly, services.RecommendationData(
            title=title, body=body, votes_for=v_for, votes_against=v_against, votes_abstain=v_abstain,
            adopted_on=(sittings[s].starts_at + timedelta(hours=12)).date(), group_id=groups[g].id)))
    services.move_assembly(admin, assembly, "concluded")
    assembly.published_at = now - timedelta(days=330)
    assembly.concluded_at = sittings[-1].ends_at
    db.session.flush()

    # Recommendation 1: answered on time (60 days after adoption), then followed up.
    first = recs[0]
    services.answer_recommendation(elu, first, "accepted", (
        "La Ville retient la tarification progressive. Les 15 premiers m³ par personne seront gratuits dès le "
        "1er janvier ; la délibération tarifaire a été votée par le conseil municipal."))
    first.answered_at = first.adopted_at + timedelta(days=60)
    for days_after, status, progress, note in [
            (70, "in_progress", 30, "La délibération tarifaire est votée ; les services adaptent la facturation."),
            (120, "in_progress", 70, "Les nouvelles factures sont testées auprès de 2 000 foyers.")]:
        u = services.add_implementation_update(elu, first, status, progress, note)
        u.created_at = min(first.adopted_at + timedelta(days=days_after), now)
    # Recommendation 3: answered late (105 days after adoption, 15 days past the due date).
    late = recs[2]
    services.answer_recommendation(elu, late, "partly", (
        "La Ville lance un plan de détection des fuites dès cette année, avec un objectif de 85 % en 2032 : "
        "l'objectif de 90 % demanderait de doubler le budget d'investissement du réseau."))
    late.answered_at = late.adopted_at + timedelta(days=105)
    db.session.flush()
    ctx["assemblies"] = {"eau": assembly}


EXAMPLES = "civic/assemblies/examples"


@register_demo(order=900)
def load_example_command(ctx) -> None:
    """Print the command that draws a panel from the Toulouse example pool (no database needed)."""
    import click

    click.echo("\nCitizens' assembly by lot (Toulouse example: 600 volunteers, a panel of 40):\n"
               f"  flask --app wsgi civic assemblies select {EXAMPLES}/toulouse_categories.csv "
               f"{EXAMPLES}/toulouse_respondents.csv --size 40 --seed démo-toulouse")
