"""A real OpenID Connect provider for the tests: panva's oidc-provider
(tests/oidc_provider/server.js) on a free loopback port, with one test
client and test accounts whose claims are French identities, named as
FranceConnect names them.

Node and ``npm ci`` in tests/oidc_provider are required (.ci/run installs
both): the tests fail, never skip, when they are missing.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

FOLDER = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "civic-test"
CLIENT_SECRET = "civic-test-secret-0123456789abcdef"
ACCOUNT_PASSWORD = "motdepasse"

# FranceConnect's claims for each test identity (birthplace: INSEE code of
# the commune of birth, birthcountry: INSEE code of the country, 99100 France).
ACCOUNTS = {
    "anne": {"given_name": "Anne-Marie", "family_name": "Dupont Martin", "birthdate": "1980-03-14",
             "birthplace": "31555", "birthcountry": "99100", "gender": "female",
             "preferred_name": "", "email": "anne-marie.dupont@example.fr", "email_verified": True},
    "jean": {"given_name": "Jean Émile", "family_name": "Lefèvre", "birthdate": "1975-11-02",
             "birthplace": "75056", "birthcountry": "99100", "gender": "male",
             "preferred_name": "", "email": "jean.lefevre@example.fr", "email_verified": True},
    "zoe": {"given_name": "Zoé", "family_name": "Garcia", "birthdate": "2001-06-30",
            "birthplace": "31555", "birthcountry": "99100", "gender": "female",
            "preferred_name": "", "email": "zoe.garcia@example.fr", "email_verified": True},
}


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def civic_config(self, name: str = "test", **extra) -> dict:
        """The entry for Civic's OIDC_PROVIDERS config (the FranceConnect profile)."""
        return {"name": name, "label": "FranceConnect (test)", "profile": "franceconnect",
                "issuer": self.issuer, "client_id": self.client_id, "client_secret": self.client_secret,
                **extra}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_provider(redirect_uris: list[str], post_logout_redirect_uris: list[str]) -> RunningProvider:
    """Start the provider; fails the test (never skips) if Node or its packages are missing."""
    node = shutil.which("node")
    if node is None or not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("The test OpenID Connect provider needs Node and `npm ci` in tests/oidc_provider "
                    "(.ci/run does both).", pytrace=False)
    port = _free_port()
    conf = {"port": port, "accounts": {k: {"password": ACCOUNT_PASSWORD, "claims": v} for k, v in ACCOUNTS.items()},
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris,
                         "post_logout_redirect_uris": post_logout_redirect_uris,
                         # FranceConnect takes the secret in the token request's body.
                         "token_endpoint_auth_method": "client_secret_post",
                         "scope": "openid given_name family_name birthdate birthplace birthcountry gender "
                                  "preferred_name email"}]}
    path = Path(tempfile.mkdtemp(prefix="civic-oidc-")) / "config.json"
    path.write_text(json.dumps(conf))
    proc = subprocess.Popen([node, str(FOLDER / "server.js"), str(path)], cwd=FOLDER,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("listening "):
            # Keep reading its output so the pipe never fills up.
            import threading

            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return RunningProvider(issuer=line.split()[1], process=proc)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"the test OpenID Connect provider did not start: {proc.stdout.read()}", pytrace=False)
