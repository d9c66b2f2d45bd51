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


# Fake electors of the demo roll: (birth name, given names, birth date, polling station). Léa Martin and
# Karim Benali, demo residents, are on it; the others are invented names.
DEMO_ELECTORS = [
    ("MARTIN", "Léa Claire", "1988-04-12", "0601"),
    ("BENALI", "Karim", "1979-09-23", "1702"),
    ("DUPONT-MARTIN", "Anne Marie", "1980-03-14", "0103"),
    ("LEFÈVRE", "Jean Émile", "1975-11-02", "0104"),
    ("GARCIA", "Zoé", "2001-06-30", "1301"),
    ("N'DIAYE", "Aïssatou", "1992-02-17", "1702"),
    ("ROUSSEAU", "Pierre Henri", "1958-07-08", "0601"),
    ("NGUYEN", "Thi Mai", "1985-12-01", "0802"),
    ("FERRAND", "Marie-Thérèse", "1949-05-25", "1003"),
    ("BOUAZIZ", "Yacine", "1996-10-10", "1301"),
]


@register_demo(order=11)
def load_verification_demo(ctx):
    """An imported roll, a resident verified by FranceConnect on the roll and
    by a letter code, and letters waiting to be printed."""
    from civic.accounts import roll, verification
    from civic.accounts.electors import identity_hash, keyed_hash, subject_hash
    from civic.accounts.models import OidcIdentity, PostalLetter, VerificationMethod
    from civic.core.time import utcnow
    from civic.extensions import db

    users = ctx["users"]
    admin = users["admin@demo.civic.localhost"]
    entries = [(identity_hash(f, g, d), s) for f, g, d, s in DEMO_ELECTORS]
    roll.replace_roll(admin, entries, filename="liste-electorale-toulouse-2026.csv", refused_count=2)
    lea = users["habitante@demo.civic.localhost"]
    now = utcnow()
    # Léa signed in with FranceConnect (the demo has no provider: the link is
    # what a sign-in leaves), so she is on the roll as a verified elector...
    db.session.add(OidcIdentity(user_id=lea.id, provider="franceconnect",
                                subject_hash=subject_hash("franceconnect", "demo-lea-martin"), last_login_at=now,
                                identity_verified_at=now, identity_acr="eidas1",
                                identity_hash=identity_hash("Martin", "Léa-Claire", "1988-04-12")))
    db.session.flush()
    roll.sync_oidc_roll(lea)
    # ...and typed the code of a letter sent last month.
    db.session.add(PostalLetter(user_id=lea.id, requested_at=now, sent_at=now, expires_at=now,
                                used_at=now, code_hash=keyed_hash("postal-code", "DEMOUSEDCODE")))
    verification.record(lea, VerificationMethod.POSTAL_CODE)
    # Paul, not verified, asked for a letter: it waits for the next batch.
    paul = users["nouveau@demo.civic.localhost"]
    db.session.add(PostalLetter(user_id=paul.id, address="Paul Nouveau\n3 rue du Taur\n31000 Toulouse",
                                requested_at=now))
    karim = users["habitant@demo.civic.localhost"]
    db.session.add(PostalLetter(user_id=karim.id, address="Karim Benali\n8 allée de Bellefontaine\n31100 Toulouse",
                                requested_at=now))
    db.session.flush()
    ctx["accounts"] = [(e, n, r + (", verified elector (FranceConnect, letter code)" if e == lea.email else ""))
                       for e, n, r in ctx["accounts"]]
