"""Restarting the demo on its own database still lists the demo accounts."""

from civic.demo import load_demo


def test_a_second_demo_start_lists_the_accounts_again(app, factory, capsys):
    from civic.accounts.models import Role, UserRole, Verification, VerificationMethod
    from civic.extensions import db

    admin = factory.user(email="admin@demo.civic.localhost", name="Camille Administratrice", roles=("admin",))
    resident = factory.user(email="habitante@demo.civic.localhost", name="Léa Martin")
    district = factory.district()
    db.session.add(Verification(user_id=resident.id, district_id=district.id, method=VerificationMethod.IN_PERSON))
    factory.user(email="someone@example.org")  # not a demo account
    db.session.commit()
    assert admin.roles and isinstance(admin.roles[0], UserRole) and admin.roles[0].role == Role.ADMIN
    load_demo()
    out = capsys.readouterr().out
    assert "the demo was loaded before" in out
    assert "admin@demo.civic.localhost" in out and "admin" in out
    assert "habitante@demo.civic.localhost" in out and "verified resident" in out
    assert "civic-demo-2026" in out
    assert "someone@example.org" not in out
