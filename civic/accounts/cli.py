"""Account demo data."""

from civic.demo import register_demo


def register(app):
    """Nothing to attach per app: demo loaders register at import."""


DISTRICTS = [
    ("T01", "Capitole – Arnaud-Bernard – Carmes", ["31000"]),
    ("T02", "Amidonniers – Compans-Caffarelli", []),
    ("T03", "Les Chalets – Bayard – Belfort – Saint-Aubin – Dupuy", []),
    ("T04", "Lapujade – Bonnefoy – Périole – Marengo – La Colonne", []),
    ("T05", "Saint-Michel – Saint-Agne – Empalot – Le Busca", []),
    ("T06", "Saint-Cyprien", ["31300"]),
    ("T07", "Sept-Deniers – Ginestous – Lalande", []),
    ("T08", "Minimes – Barrière de Paris – Ponts-Jumeaux", ["31200"]),
    ("T09", "Trois-Cocus – Borderouge – Croix-Daurade", []),
    ("T10", "Jolimont – Soupetard – Roseraie – Gramont", ["31500"]),
    ("T11", "Bonhoure – Guilhemery – Château de l'Hers – Limayrac", []),
    ("T12", "Pont-des-Demoiselles – Montaudran – La Terrasse", []),
    ("T13", "Rangueil – Sauzelong – Pech-David – Pouvourville", ["31400"]),
    ("T14", "Saint-Simon – Lafourguette – Oncopole", []),
    ("T15", "Croix-de-Pierre – Route d'Espagne", []),
    ("T16", "Fontaine-Lestang – Arènes – Bagatelle – Papus", []),
    ("T17", "Mirail-Université – Reynerie – Bellefontaine", ["31100"]),
    ("T18", "Lardenne – Pradettes – Basso-Cambo", []),
    ("T19", "Casselardit – Fontaine-Bayonne – Cartoucherie", []),
    ("T20", "Arènes Romaines – Ancely – Saint-Martin-du-Touch – Purpan", []),
]

DEMO_PASSWORD = "civic-demo-2026"

ACCOUNTS = [
    ("admin@demo.civic.localhost", "Camille Administratrice", ["admin"], None),
    ("elu@demo.civic.localhost", "Jean Dupont (élu)", ["official"], None),
    ("moderation@demo.civic.localhost", "Sophie Modératrice", ["moderator"], None),
    ("mediatrice@demo.civic.localhost", "Amina Médiatrice", ["mediator"], None),
    ("habitante@demo.civic.localhost", "Léa Martin", [], "T06"),
    ("habitant@demo.civic.localhost", "Karim Benali", [], "T17"),
    ("nouveau@demo.civic.localhost", "Paul Nouveau", [], None),
]


@register_demo(order=10)
def load_accounts(ctx):
    from werkzeug.security import generate_password_hash

    from civic.accounts.models import District, DistrictPostcode, Role, User, UserRole, Verification, VerificationMethod
    from civic.core.time import utcnow
    from civic.extensions import db

    districts = {}
    for code, name, postcodes in DISTRICTS:
        d = District(code=code, name=name, postcodes=[DistrictPostcode(postcode=p) for p in postcodes])
        db.session.add(d)
        districts[code] = d
    db.session.flush()
    pw = generate_password_hash(DEMO_PASSWORD)
    users = {}
    for email, name, roles, district in ACCOUNTS:
        u = User(email=email, display_name=name, password_hash=pw, locale="fr", email_confirmed_at=utcnow(),
                 district_id=districts[district].id if district else None)
        db.session.add(u)
        db.session.flush()
        for r in roles:
            db.session.add(UserRole(user_id=u.id, role=Role(r)))
        if district:
            db.session.add(Verification(user_id=u.id, district_id=districts[district].id,
                                        method=VerificationMethod.IN_PERSON, verified_by_id=None))
        users[email] = u
    db.session.flush()
    ctx["districts"] = districts
    ctx["users"] = users
    ctx["accounts"] = [(e, n, ", ".join(r) or ("verified resident" if d else "resident, not verified"))
                       for e, n, r, d in ACCOUNTS]
    ctx["password"] = DEMO_PASSWORD
