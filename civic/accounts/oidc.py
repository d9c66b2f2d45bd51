"""OpenID Connect sign-in (Authlib): a generic client and the FranceConnect
profile, for every provider in ``OIDC_PROVIDERS`` (config.py reads them
from the environment; README.md, "Sign-in with FranceConnect").

Authorization code flow with PKCE (S256), ``state`` and ``nonce`` kept in
the signed session by Authlib; the ID token's signature (the provider's
JWKS), issuer, audience, expiry, nonce and, for FranceConnect, ``acr`` are
checked before any claim is read. Logout goes through the provider's
end-session endpoint when the person signed in through it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests import RequestException

from civic.accounts.services import oidc as services
from civic.core.errors import NotFound, ValidationError
from civic.core.urls import absolute_url
from civic.core.views import safe_next
from civic.extensions import db

log = logging.getLogger(__name__)

FRANCECONNECT_SCOPES = ("openid given_name family_name birthdate birthplace birthcountry gender "
                        "preferred_name email")

# What each profile changes from the generic client.
PROFILES = {
    "generic": {"scope": "openid email profile", "identity": False, "trust_email": False},
    "franceconnect": {
        "scope": FRANCECONNECT_SCOPES,
        "acr_values": "eidas1",
        # FranceConnect takes the client secret in the token request's body.
        "token_endpoint_auth_method": "client_secret_post",
        # The state vouches for the identity, and for the address it gives.
        "identity": True,
        "trust_email": True,
    },
}

bp = Blueprint("oidc", __name__, url_prefix="/account/oidc")
SESSION_KEY = "oidc_signed_in"  # {"provider": name, "id_token": ...} for the end-session logout


def providers() -> list[dict]:
    """The configured providers, each with its profile's settings filled in."""
    out = []
    for raw in current_app.config.get("OIDC_PROVIDERS") or []:
        profile = PROFILES.get(raw.get("profile") or "generic", PROFILES["generic"])
        entry = {**profile, **{k: v for k, v in raw.items() if v not in (None, "")}}
        entry.setdefault("label", entry["name"])
        out.append(entry)
    return out


def provider(name: str) -> dict:
    for entry in providers():
        if entry["name"] == name:
            return entry
    raise NotFound()


def _client(entry: dict):
    """The Authlib client for ``entry``, registered on first use (tests and
    operators may change OIDC_PROVIDERS after the app is built)."""
    oauth = current_app.extensions.get("civic_oauth")
    if oauth is None:
        oauth = current_app.extensions["civic_oauth"] = OAuth(current_app)
    key = f"{entry['name']}:{entry['issuer']}:{entry['client_id']}"
    registered = current_app.extensions.setdefault("civic_oauth_keys", {})
    if registered.get(entry["name"]) != key:
        oauth._clients.pop(entry["name"], None)
        oauth._registry.pop(entry["name"], None)
        kwargs = {"scope": entry["scope"], "code_challenge_method": "S256"}
        if entry.get("token_endpoint_auth_method"):
            kwargs["token_endpoint_auth_method"] = entry["token_endpoint_auth_method"]
        oauth.register(entry["name"], client_id=entry["client_id"], client_secret=entry["client_secret"],
                       server_metadata_url=entry["issuer"].rstrip("/") + "/.well-known/openid-configuration",
                       client_kwargs=kwargs)
        registered[entry["name"]] = key
    return oauth.create_client(entry["name"])


def _failed(entry: dict, message: str | None = None, status: int = 400):
    return render_template("accounts/oidc_failed.html", provider=entry,
                           message=message or _("Signing in with %(provider)s did not work. Please try again.",
                                                provider=entry["label"])), status


@bp.post("/<name>/start")
def start(name):
    """Send the browser to the provider (a POST with CSRF: nobody can start
    a sign-in, or a link to their identity, from another site)."""
    entry = provider(name)
    session["oidc_next"] = safe_next(request.form.get("next"), "")
    extra = {"acr_values": entry["acr_values"]} if entry.get("acr_values") else {}
    from civic import select_locale

    extra["ui_locales"] = select_locale() or "en"
    try:
        return _client(entry).authorize_redirect(absolute_url("oidc.callback", name=name), **extra)
    except (RequestException, AuthlibBaseError, ValueError) as err:
        log.warning("OIDC %s: discovery failed: %s", name, err)
        return _failed(entry, _("%(provider)s cannot be reached right now. Please try again later.",
                                provider=entry["label"]), 503)


def _userinfo(client, token: dict) -> dict:
    """The user-info answer: JSON, or a signed JWT (FranceConnect v2) checked
    against the provider's keys."""
    metadata = client.load_server_metadata()
    resp = client.get(metadata["userinfo_endpoint"], token=token)
    resp.raise_for_status()
    if resp.headers.get("Content-Type", "").startswith("application/jwt"):
        keys = KeySet.import_key_set(client.fetch_jwk_set())
        claims = jwt.decode(resp.text, keys).claims
        if claims.get("iss") not in (None, metadata.get("issuer")):
            raise JoseError("userinfo issuer mismatch")
        return claims
    return resp.json()


@bp.get("/<name>/callback")
def callback(name):
    entry = provider(name)
    if request.args.get("error"):
        # The person cancelled at the provider, or it refused.
        log.info("OIDC %s: error %s", name, request.args.get("error"))
        return _failed(entry, _("Signing in with %(provider)s was cancelled.", provider=entry["label"]))
    if not request.args.get("code") or not request.args.get("state"):
        return _failed(entry)
    client = _client(entry)
    options = {"iss": {"essential": True, "values": [client.load_server_metadata().get("issuer")]}}
    if entry.get("acr_values"):
        options["acr"] = {"essential": True, "values": list(services.IDENTITY_ACRS)}
    try:
        token = client.authorize_access_token(claims_options=options)
        id_claims = dict(token.get("userinfo") or {})
        if not id_claims.get("sub"):
            raise ValueError("no ID token")
        info = _userinfo(client, token)
        if str(info.get("sub")) != str(id_claims["sub"]):
            # OpenID Connect Core 5.3.2: the user-info must be for the ID token's subject.
            raise ValueError("userinfo subject mismatch")
    except (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError) as err:
        log.warning("OIDC %s: callback refused: %s", name, err)
        return _failed(entry)
    claims = {**info, **id_claims}
    from civic import select_locale

    actor = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        user, outcome = services.sign_in_with_oidc(entry, claims, actor, select_locale() or "en")
    except ValidationError as err:
        db.session.rollback()
        return _failed(entry, err.message, 409)
    db.session.commit()
    del claims, info, id_claims  # nothing of the claims outlives the request
    login_user(user)
    session[SESSION_KEY] = {"provider": name, "id_token": token.get("id_token")}
    messages = {"signed_in": _("You are signed in with %(provider)s.", provider=entry["label"]),
                "linked": _("%(provider)s is now linked to your account.", provider=entry["label"]),
                "created": _("Your account is created with %(provider)s.", provider=entry["label"])}
    flash(messages[outcome], "success")
    default = url_for("accounts.settings") if outcome != "signed_in" else url_for("core.home")
    return redirect(session.pop("oidc_next", "") or default)


def end_session_redirect():
    """After Civic's own logout: the redirect to the provider's end-session
    endpoint if the person signed in through one (else None)."""
    data = session.pop(SESSION_KEY, None)
    if not data:
        return None
    try:
        entry = provider(data["provider"])
        client = _client(entry)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.logout_redirect(post_logout_redirect_uri=absolute_url("oidc.logged_out"),
                                      id_token_hint=data.get("id_token"))
    except (NotFound, RequestException, AuthlibBaseError, RuntimeError) as err:
        log.warning("OIDC logout at %s skipped: %s", data.get("provider"), err)
        return None


@bp.get("/logged-out")
def logged_out():
    """Where the provider sends the browser back after its logout."""
    flash(_("You are logged out."), "success")
    return redirect(url_for("core.home"))


@bp.post("/<int:identity_id>/unlink")
@login_required
def unlink(identity_id):
    try:
        name = services.unlink_oidc(current_user, identity_id)
    except NotFound:
        abort(404)
    except ValidationError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("accounts.settings") + "#s-signin")
    db.session.commit()
    label = next((p["label"] for p in providers() if p["name"] == name), name)
    flash(_("%(provider)s is no longer linked to your account.", provider=label), "success")
    return redirect(url_for("accounts.settings") + "#s-signin")


def linked_identities(user) -> list[dict]:
    """For the account page: each configured provider, linked or not."""
    links = {link.provider: link for link in services.oidc_identities(user)}
    return [{"provider": p, "link": links.get(p["name"])} for p in providers()]


@bp.after_app_request
def _allow_provider_forms(resp):
    """The sign-in and logout forms post to Civic, which redirects to the
    provider: browsers apply the page's ``form-action`` to that redirect, so
    the providers' origins are added to it (the rest of the policy is the
    core's). Runs before the core's header hook, which keeps a policy set."""
    if resp.mimetype != "text/html" or "Content-Security-Policy" in resp.headers:
        return resp
    origins = []
    for entry in providers():
        parts = urlsplit(entry.get("issuer") or "")
        if parts.scheme in ("https", "http") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    if origins:
        from civic.core.security import CSP

        resp.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(dict.fromkeys(origins)))
    return resp
