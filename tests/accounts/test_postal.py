"""Verification by a letter code: the request, the PDF batch, the code."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from civic.accounts import postal, verification
from civic.accounts.models import PostalLetter
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from tests.helpers import reload

ADDRESS = "Léa Martin\n12 rue des Lilas\n31000 Toulouse"


def test_a_resident_asks_for_a_letter_an_admin_prints_the_batch_and_the_code_verifies(
        client, login, factory, monkeypatch):
    resident = factory.user(email="lea@example.org")
    admin = factory.user(roles=["admin"])
    login(resident)
    resp = client.post("/account/letter", data={"action": "ask", "ask-address": "Toulouse"})
    assert resp.status_code == 422 and "with the postcode and the town on the last one" in resp.get_data(as_text=True)
    assert client.post("/account/letter", data={"action": "ask", "ask-address": ADDRESS}).status_code == 302
    assert "A letter was asked for on" in client.get("/account/letter").get_data(as_text=True)
    client.post("/account/logout")

    login(admin)
    page = client.get("/admin/letters").get_data(as_text=True)
    assert "Léa Martin, 12 rue des Lilas, 31000 Toulouse" in page
    [letter] = db.session.scalars(sa.select(PostalLetter)).all()
    monkeypatch.setattr(postal, "new_code", lambda: "ABCD-EFGH-JK")
    resp = client.post("/admin/letters", data={"letter": [str(letter.id)]})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    letter = reload(letter)
    # The address is erased once the letter is in a batch; only the code's hash is kept.
    assert letter.address is None and letter.sent_at is not None and letter.batch_id is not None
    assert letter.code_hash and "ABCD" not in letter.code_hash
    assert "No letter is waiting." in client.get("/admin/letters").get_data(as_text=True)
    client.post("/account/logout")

    login(resident)
    page = client.get("/account/letter").get_data(as_text=True)
    assert "Type the code of your letter" in page
    resp = client.post("/account/letter", data={"action": "code", "code-code": "ZZZZ-ZZZZ-ZZ"})
    assert resp.status_code == 422 and "This is not the code of your letter." in resp.get_data(as_text=True)
    resp = client.post("/account/letter", data={"action": "code", "code-code": "abcd efgh jk"})
    assert resp.status_code == 302
    assert verification.is_verified(resident, method="postal_code", level=2)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "verification.postal_code"))
    # Single use.
    assert postal.open_letter(resident) is None


def test_an_expired_or_used_code_is_refused_and_attempts_are_limited(client, login, factory):
    resident = factory.user()
    letter = PostalLetter(user_id=resident.id, code_hash=None, sent_at=utcnow() - timedelta(days=90),
                          expires_at=utcnow() - timedelta(days=1))
    db.session.add(letter)
    db.session.flush()
    with client.application.test_request_context():
        letter.code_hash = postal._hash("AAAA-BBBB-CC")
    db.session.commit()
    login(resident)
    resp = client.post("/account/letter", data={"action": "code", "code-code": "AAAA-BBBB-CC"})
    assert resp.status_code == 422 and "This code has expired." in resp.get_data(as_text=True)
    for _ in range(4):
        client.post("/account/letter", data={"action": "code", "code-code": "WRONG"})
    resp = client.post("/account/letter", data={"action": "code", "code-code": "WRONG"})
    assert resp.status_code == 429 and "Too many attempts." in resp.get_data(as_text=True)
    assert not verification.is_verified(resident, method="postal_code")


def test_residents_cannot_download_letters(client, login, factory):
    login(factory.user())
    assert client.get("/admin/letters").status_code == 403
    assert client.post("/admin/letters", data={"letter": ["1"]}).status_code == 403
