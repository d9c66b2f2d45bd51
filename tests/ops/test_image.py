"""The container image: the Dockerfile builds (podman, from a Debian base made
by scripts/image-base where Docker Hub cannot be reached), the final image runs
as a non-root user without compiler or pip, with compiled translations; its
migrations run (``flask db upgrade``), gunicorn answers /healthz with the
request id echoed and logged as JSON, and the image's HEALTHCHECK passes.

A few minutes the first time (the base and the requirements' wheels), well
under one when the layers are cached. .ci/run installs podman, runc and
debootstrap."""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TAG = "localhost/civic:test"
BASE = os.environ.get("CIVIC_IMAGE_BASE", "localhost/civic-base:bookworm")


def _podman() -> list[str]:
    cmd = ["podman"]
    # crun refuses this machine's hybrid cgroups; runc runs (CIVIC_PODMAN_RUNTIME overrides).
    runtime = os.environ.get("CIVIC_PODMAN_RUNTIME") or ("runc" if shutil.which("runc") else "")
    return cmd + (["--runtime", runtime] if runtime else [])


def _limits() -> list[str]:
    # Without CAP_SYS_RESOURCE the runtime may not raise a limit: ask for what we have.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return ["--ulimit", f"nofile={soft}:{hard}", "--ulimit", "nproc=4096:4096"]


def _run(*args, timeout=120, check=True) -> subprocess.CompletedProcess:
    out = subprocess.run([*_podman(), *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert out.returncode == 0, f"podman {' '.join(args[:3])}…: {out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def image():
    if not shutil.which("podman"):
        pytest.skip("podman is not installed (.ci/run installs it)")
    if subprocess.run(["podman", "image", "exists", BASE]).returncode != 0:
        if not shutil.which("debootstrap"):
            pytest.skip("debootstrap is not installed (.ci/run installs it)")
        subprocess.run([str(ROOT / "scripts" / "image-base"), BASE], check=True, timeout=600)
    started = time.monotonic()
    _run("build", "--format", "docker", "--network", "host", *_limits(), "--build-arg", f"BASE={BASE}",
         "-t", TAG, str(ROOT), timeout=900)
    print(f"image built in {time.monotonic() - started:.0f} s")
    return TAG


@pytest.fixture
def database(tmp_path):
    """A database for the container: PostgreSQL (a fresh database next to the
    test one) when TEST_DATABASE_URL is set, else SQLite in a mounted folder."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        folder = tmp_path / "instance"
        folder.mkdir()
        folder.chmod(0o777)  # the image's user (uid 10001) writes there
        yield {"env": ["-e", "DATABASE_URL=sqlite:////var/lib/civic/civic.db"],
               "mount": ["-v", f"{folder}:/var/lib/civic"], "queue": "inline"}
        return
    import psycopg

    server = url.rpartition("/")[0]
    name = f"civic_image_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = ["-e", f"DATABASE_URL={server}/{name}"]
    queue = "inline"
    if os.environ.get("TEST_REDIS_URL"):
        env += ["-e", f"REDIS_URL={os.environ['TEST_REDIS_URL']}"]
        queue = "ok"
    yield {"env": env, "mount": [], "queue": queue}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_final_image_has_no_build_tools_and_runs_as_civic(image):
    info = json.loads(_run("image", "inspect", image).stdout)[0]
    assert info["Config"]["User"] == "civic"
    assert "/healthz" in " ".join(info["Healthcheck"]["Test"])
    assert info["Config"]["Cmd"][-4:] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    out = _run("run", "--rm", "--network", "none", *_limits(), image, "sh", "-c",
               "id -u; for t in gcc cc make pip pip3 apt-get; do command -v $t || echo no-$t; done; "
               "ls civic/translations/fr/LC_MESSAGES civic/petitions/translations/fr/LC_MESSAGES; "
               "ls tests bench .git 2>&1 | head -3").stdout
    assert out.splitlines()[0] == "10001"
    for tool in ("gcc", "cc", "make", "pip", "pip3"):
        assert f"no-{tool}" in out, out
    assert out.count("messages.mo") == 2  # translations compiled in the build
    assert "No such file" in out  # tests, bench and .git stay out (.dockerignore)


def test_migrations_run_and_web_answers_healthz(image, database):
    port = _free_port()
    env = ["-e", "CIVIC_ENV=production", "-e", "SECRET_KEY=image-test-secret",
           "-e", f"BASE_URL=http://127.0.0.1:{port}", "-e", f"GUNICORN_BIND=127.0.0.1:{port}",
           "-e", "WEB_CONCURRENCY=2", *database["env"]]
    common = ["--network", "host", *_limits(), *env, *database["mount"]]
    migrated = _run("run", "--rm", *common, image, "flask", "--app", "wsgi", "db", "upgrade", timeout=300)
    assert "d17a0c1e0001" in migrated.stderr + migrated.stdout
    name = f"civic-test-web-{uuid.uuid4().hex[:8]}"
    _run("run", "-d", "--name", name, *common, image)
    try:
        deadline = time.monotonic() + 180
        answer = None
        while time.monotonic() < deadline:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "probe-0123456789"})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    answer = (resp.status, resp.headers.get("X-Request-Id"), json.loads(resp.read()))
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        logs = _run("logs", name, check=False)
        assert answer == (200, "probe-0123456789", {"database": "ok", "queue": database["queue"]}), \
            logs.stdout[-3000:] + logs.stderr[-3000:]
        assert _run("healthcheck", "run", name, check=False).returncode == 0
        lines = [json.loads(line) for line in (logs.stdout + logs.stderr).splitlines() if line.startswith("{")]
        probe = [x for x in lines if x.get("request_id") == "probe-0123456789"]
        assert probe and probe[0]["route"] == "/healthz" and probe[0]["status"] == 200
        assert any(x["logger"] == "gunicorn.error" for x in lines)  # gunicorn's own lines are JSON too
    finally:
        _run("rm", "-f", name, check=False)
