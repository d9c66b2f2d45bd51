"""Configuration from the environment (see DESIGN.md, "Runtime").

Everything a deployment changes is an environment variable; settings that
administrators change at run time live in the database (civic.core.settings).
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _instance_dir() -> Path:
    path = Path(os.environ.get("CIVIC_INSTANCE", BASE_DIR / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(instance: Path, env: str) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise RuntimeError("SECRET_KEY must be set in production")
    # Development: generate once and keep it, so sessions survive restarts.
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _oidc_providers() -> list[dict]:
    """OpenID Connect providers: CIVIC_OIDC_PROVIDERS="franceconnect,other",
    then for each NAME: CIVIC_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET,
    and optionally _LABEL, _PROFILE ("franceconnect" or "generic"), _SCOPE,
    _ACR_VALUES (README.md, "Sign-in with FranceConnect")."""
    out = []
    for name in filter(None, (n.strip().lower() for n in os.environ.get("CIVIC_OIDC_PROVIDERS", "").split(","))):
        env = f"CIVIC_OIDC_{name.upper().replace('-', '_')}_"
        entry = {"name": name, "profile": os.environ.get(env + "PROFILE") or
                 ("franceconnect" if name.startswith("franceconnect") else "generic")}
        for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "LABEL", "SCOPE", "ACR_VALUES"):
            if os.environ.get(env + key):
                entry[key.lower()] = os.environ[env + key]
        missing = [k for k in ("issuer", "client_id", "client_secret") if k not in entry]
        if missing:
            raise RuntimeError(f"OIDC provider {name!r}: set {', '.join(env + k.upper() for k in missing)}")
        entry.setdefault("label", "FranceConnect" if entry["profile"] == "franceconnect" else name)
        out.append(entry)
    return out


def normalise_database_url(url: str) -> str:
    """The SQLAlchemy URL of a database URL (PostgreSQL through psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config() -> dict:
    """Build the Flask config dict from environment variables."""
    env = os.environ.get("CIVIC_ENV", "development")
    instance = _instance_dir()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'civic.db'}"
    database_url = normalise_database_url(database_url)
    production = env == "production"
    replica_url = os.environ.get("DATABASE_REPLICA_URL") or None
    if replica_url:
        replica_url = normalise_database_url(replica_url)
    return {
        "CIVIC_ENV": env,
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": _secret_key(instance, env),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Anonymous reads go to this streaming replica while it lags less than
        # REPLICA_MAX_LAG seconds (civic/core/replica.py).
        "DATABASE_REPLICA_URL": replica_url,
        "REPLICA_MAX_LAG": float(os.environ.get("REPLICA_MAX_LAG") or 5),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("RQ_QUEUE", "civic"),
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Civic <no-reply@civic.localhost>"),
        "MAIL_DIR": os.environ.get("MAIL_DIR", str(instance / "mail")),
        # Nightly open data dumps (core/dumps.py): <dir>/<dataset>/<YYYY-MM-DD>.csv.gz, a "latest" pointer.
        "OPENDATA_DIR": os.environ.get("OPENDATA_DIR", str(instance / "opendata")),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SITE_NAME": os.environ.get("CIVIC_SITE_NAME", "Civic"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("CIVIC_TIMEZONE", "Europe/Paris"),
        "LANGUAGES": ["en", "fr"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # Reference endpoints for the benchmarks in bench/ only: never set CIVIC_BENCH on a real site.
        "BENCH_ENDPOINTS": os.environ.get("CIVIC_BENCH") == "1",
        "OIDC_PROVIDERS": _oidc_providers(),
        # "json": one JSON object per log line (docs/deploy.md, "Logs"); "text" for the demo.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text").strip().lower(),
    }
