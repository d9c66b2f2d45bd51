"""OpenID Connect sign-in against a real provider (panva's oidc-provider,
tests/oidc.py), configured as FranceConnect: discovery, code + PKCE,
state, nonce, the ID token's signature and claims, user-info, linking,
creation, unlinking and the end-session logout."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
import sqlalchemy as sa

from civic.accounts.electors import identity_hash, normalise_identity, subject_hash
from civic.accounts.models import OidcIdentity, User
from civic.core.audit import AuditEntry
from civic.extensions import db
from tests import factories
from tests.oidc import ACCOUNT_PASSWORD, ACCOUNTS, start_provider

BASE = "http://civic.test"


@pytest.fixture(scope="module")
def provider():
    running = start_provider([f"{BASE}/account/oidc/test/callback"], [f"{BASE}/account/oidc/logged-out"])
    yield running
    running.stop()


@pytest.fixture
def oidc_app(app, provider):
    app.config["OIDC_PROVIDERS"] = [provider.civic_config()]
    return app


def through_provider(client, login="anne", password=ACCOUNT_PASSWORD, start_data=None):
    """Start at Civic, sign in at the provider as a browser would, and
    return Civic's answer to the callback (and the authorization request)."""
    r = client.post("/account/oidc/test/start", data=start_data or {})
    assert r.status_code == 302, r.get_data(as_text=True)
    authorize = r.headers["Location"]
    browser = requests.Session()
    url, method, data = authorize, "GET", None
    for _ in range(12):
        resp = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if resp.is_redirect:
            url, method, data = urljoin(url, resp.headers["Location"]), "GET", None
            if url.startswith(BASE):
                parsed = urlparse(url)
                client.provider_browser = browser
                return client.get(f"{parsed.path}?{parsed.query}"), authorize
            continue
        form = re.search(r'<form method="post" action="([^"]+)"', resp.text)
        if data is not None:  # the provider refused the password
            return resp, authorize
        assert form and 'name="login"' in resp.text, resp.text
        url, method, data = urljoin(url, form.group(1)), "POST", {"login": login, "password": password}
    raise AssertionError("no redirect back to Civic")


def test_identity_normalisation_matches_roll_spelling(app):
    # A roll entry "DUPONT-MARTIN Anne Marie" is FranceConnect's "Dupont Martin" / "Anne-Marie".
    assert normalise_identity("DUPONT-MARTIN", "Anne Marie", "1980-03-14") == \
        normalise_identity("Dupont Martin", "Anne-Marie", "1980-03-14") == "DUPONT MARTIN|ANNE MARIE|1980-03-14"
    assert identity_hash("Lefèvre", "Émile Jean", "1975-11-02") == identity_hash("LEFEVRE", "JEAN-EMILE", "1975-11-02")
    assert identity_hash("Dupont", "Anne", "1980-03-14") != identity_hash("Dupont", "Anne", "1980-03-15")
    assert identity_hash("Dupont", "", "1980-03-14") is None


def test_authorization_request_is_franceconnect_shaped(client, oidc_app):
    r = client.post("/account/oidc/test/start")
    query = parse_qs(urlparse(r.headers["Location"]).query)
    assert query["response_type"] == ["code"]
    assert query["scope"][0].split() == ["openid", "given_name", "family_name", "birthdate", "birthplace",
                                         "birthcountry", "gender", "preferred_name", "email"]
    assert query["acr_values"] == ["eidas1"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"{BASE}/account/oidc/test/callback"]


def test_new_person_gets_an_account_and_only_hashes_are_kept(client, oidc_app):
    r, _ = through_provider(client, "anne")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/")
    page = client.get("/account/").get_data(as_text=True)
    assert "Your account is created with FranceConnect (test)." in page
    assert "Identity verified by FranceConnect (test) on" in page
    user = db.session.scalar(sa.select(User).where(User.email == "anne-marie.dupont@example.fr"))
    assert user.email_confirmed and user.password_hash is None and user.display_name == "Anne-Marie"
    link = db.session.scalar(sa.select(OidcIdentity).where(OidcIdentity.user_id == user.id))
    assert link.subject_hash == subject_hash("test", "anne") and link.identity_acr == "eidas1"
    assert link.identity_hash == identity_hash("DUPONT-MARTIN", "Anne Marie", "1980-03-14")
    # Nothing of the claims is stored: no birth date, no birth place, no family name, no subject.
    dump = "\n".join(str(row) for t in db.metadata.sorted_tables for row in db.session.execute(sa.select(t)))
    for secret in ("1980-03-14", "31555", "Dupont", "DUPONT", "'anne'"):
        assert secret not in dump
    # Signing in again finds the same account.
    client.post("/account/logout")
    r, _ = through_provider(client, "anne")
    assert r.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_confirmed_address_links_the_existing_account(client, oidc_app):
    user = factories.user(email="jean.lefevre@example.fr", name="Jean L.")
    r, _ = through_provider(client, "jean")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(OidcIdentity.user_id).where(OidcIdentity.provider == "test")) == user.id
    assert "FranceConnect (test) is now linked to your account." in client.get("/account/").get_data(as_text=True)


def test_unconfirmed_address_is_not_linked(client, oidc_app):
    factories.user(email="jean.lefevre@example.fr", confirmed=False)
    r, _ = through_provider(client, "jean")
    assert r.status_code == 409
    assert "Log in with its password, then link FranceConnect (test) from your account page." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OidcIdentity)) == 0


def test_signed_in_person_links_then_unlinks(client, oidc_app, login):
    user = factories.user(email="someone@example.org")
    login(user)
    assert "Link FranceConnect (test)" in client.get("/account/").get_data(as_text=True)
    r, _ = through_provider(client, "zoe", start_data={"next": "/account/"})
    assert r.status_code == 302
    link = db.session.scalar(sa.select(OidcIdentity).where(OidcIdentity.user_id == user.id))
    assert link is not None
    page = client.get("/account/").get_data(as_text=True)
    assert "Unlink FranceConnect (test)" in page
    r = client.post(f"/account/oidc/{link.id}/unlink", follow_redirects=True)
    assert "FranceConnect (test) is no longer linked to your account." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OidcIdentity)) == 0
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "account.oidc_unlinked"))


def test_only_sign_in_method_cannot_be_unlinked(client, oidc_app):
    through_provider(client, "zoe")
    link = db.session.scalar(sa.select(OidcIdentity))
    r = client.post(f"/account/oidc/{link.id}/unlink", follow_redirects=True)
    assert "This is your only way to sign in." in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OidcIdentity)) == 1
    other = factories.user(email="other@example.org")
    assert client.post("/account/oidc/999/unlink").status_code == 404
    assert other


def test_wrong_password_at_provider_and_forged_callbacks(client, oidc_app):
    r, _ = through_provider(client, "anne", "wrong")
    assert r.status_code == 401 and "Identifiant ou mot de passe incorrect." in r.text
    # A callback without a matching state, a cancelled sign-in, an unknown provider.
    assert client.get("/account/oidc/test/callback?code=abc&state=forged").status_code == 400
    r = client.get("/account/oidc/test/callback?error=access_denied&state=x")
    assert r.status_code == 400 and "was cancelled" in r.get_data(as_text=True)
    assert client.post("/account/oidc/nope/start").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_code_replayed_is_refused(client, oidc_app):
    r = client.post("/account/oidc/test/start")
    state = parse_qs(urlparse(r.headers["Location"]).query)["state"][0]
    r, _ = through_provider(client, "anne")
    # The state was used up: the same callback again is refused.
    assert client.get(f"/account/oidc/test/callback?code=abc&state={state}").status_code == 400


def test_logout_goes_through_the_end_session_endpoint(client, oidc_app, provider):
    through_provider(client, "anne")
    r = client.post("/account/logout")
    assert r.status_code == 302
    end = urlparse(r.headers["Location"])
    assert f"{end.scheme}://{end.netloc}" == provider.issuer and end.path.endswith("/session/end")
    query = parse_qs(end.query)
    assert query["post_logout_redirect_uri"] == [f"{BASE}/account/oidc/logged-out"] and query["id_token_hint"]
    browser = client.provider_browser
    r = browser.get(r.headers["Location"], timeout=10)
    assert r.status_code == 200 and "Me déconnecter" in r.text
    form = re.search(r'action="([^"]+)"', r.text).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', r.text))
    r = browser.post(urljoin(provider.issuer, form), data={**fields, "logout": "yes"}, allow_redirects=False)
    back = urlparse(r.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{BASE}/account/oidc/logged-out"
    assert "You are logged out." in client.get(f"{back.path}?{back.query}", follow_redirects=True).get_data(as_text=True)
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_unreachable_provider_is_a_clear_503(client, app):
    app.config["OIDC_PROVIDERS"] = [{"name": "test", "label": "Down", "issuer": "http://127.0.0.1:9",
                                     "client_id": "x", "client_secret": "y"}]
    r = client.post("/account/oidc/test/start")
    assert r.status_code == 503 and "Down cannot be reached right now." in r.get_data(as_text=True)


def test_login_page_offers_the_providers(client, oidc_app):
    page = client.get("/account/login").get_data(as_text=True)
    assert "Sign in with FranceConnect (test)" in page
    assert set(ACCOUNTS)
