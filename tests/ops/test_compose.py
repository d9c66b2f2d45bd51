"""compose.yaml wires what docs/deploy.md says (its images come from Docker
Hub, so it is read here, not run), and deploy/civic.env.example names only
variables Civic reads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_every_process_after_the_migrations():
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = spec["services"]
    assert set(services) == {"db", "redis", "mail", "migrate", "web", "worker", "scheduler"}
    assert services["migrate"]["command"] == ["flask", "--app", "wsgi", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["worker"]["command"] == ["flask", "--app", "wsgi", "civic", "worker"]
    assert services["scheduler"]["command"] == ["flask", "--app", "wsgi", "civic", "scheduler"]
    assert "command" not in services["web"]  # the image's CMD: gunicorn -c deploy/gunicorn.conf.py
    for name in ("web", "worker", "scheduler"):
        s = services[name]
        assert s["build"]["context"] == "."
        assert s["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert s["depends_on"]["db"] == {"condition": "service_healthy"}
        assert s["environment"]["DATABASE_URL"].startswith("postgresql://civic:civic@db:5432/")
        assert s["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
        assert s["environment"]["MAIL_URL"] == "smtp://mail:1025"
        assert s["env_file"] == "deploy/civic.env"
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_the_env_example_names_only_variables_civic_reads():
    read = set()
    for path in [ROOT / "config.py", ROOT / "deploy" / "gunicorn.conf.py", *(ROOT / "civic").rglob("*.py")]:
        read |= set(re.findall(r"""environ(?:\.get)?[\(\[]\s*["']([A-Z0-9_]+)["']""", path.read_text()))
    names = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", (ROOT / "deploy" / "civic.env.example").read_text(), re.M)
    # OpenID Connect variables are read by prefix (config.py, _oidc_providers).
    unknown = [n for n in names if n not in read and not n.startswith("CIVIC_OIDC_")]
    assert names and unknown == []
    for required in ("CIVIC_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAIL_URL", "BASE_URL", "LOG_FORMAT"):
        assert required in names
