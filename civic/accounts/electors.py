"""Keyed hashes of identities, shared by OpenID Connect sign-in and the
electoral roll: Civic keeps these, never the names and birth dates.

The key is derived from SECRET_KEY, one per purpose, so a hash leaked from
the database cannot be checked against a guessed identity without the key,
and a subject hash cannot be compared with an identity hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from flask import current_app


def _key(purpose: str) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"civic-keyed-hash:{purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the key for ``purpose``, in hex."""
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()


def name_words(value: str | None) -> list[str]:
    """A name as comparable words: accents and case dropped, hyphens,
    apostrophes and other separators made spaces ("Lefèvre-d'Arc" ->
    ["LEFEVRE", "D", "ARC"])."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.upper().replace("Œ", "OE").replace("Æ", "AE").replace("ß", "SS")
    return [w for w in re.split(r"[^A-Z0-9]+", text) if w]


def normalise_identity(family_name: str | None, given_names: str | None, birthdate: date | str | None) -> str | None:
    """The comparable form of an identity, or None when a part is missing.

    The family name keeps its word order ("DUPONT-MARTIN" and "Dupont Martin"
    are the same); given names are compared as a set in any order ("Anne
    Marie", "Marie-Anne"), since electoral software and identity providers
    do not agree on their separators.
    """
    family, given = name_words(family_name), sorted(name_words(given_names))
    if isinstance(birthdate, date):
        born = birthdate.isoformat()
    else:
        born = (birthdate or "").strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", born):
            return None
    if not family or not given:
        return None
    return f"{' '.join(family)}|{' '.join(given)}|{born}"


def identity_hash(family_name: str | None, given_names: str | None, birthdate: date | str | None) -> str | None:
    """Keyed hash of the normalised identity (None when a part is missing)."""
    norm = normalise_identity(family_name, given_names, birthdate)
    return keyed_hash("identity", norm) if norm else None


def subject_hash(provider: str, subject: str) -> str:
    """Keyed hash of a provider's subject identifier."""
    return keyed_hash("oidc-subject", f"{provider}\x00{subject}")
