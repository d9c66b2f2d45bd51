# Civic's container image (docs/deploy.md, "Container image"). One image runs
# every process: web by default (gunicorn), and with another command the
# worker (`flask --app wsgi civic worker`), the scheduler (`... civic
# scheduler`) and the migrations (`flask --app wsgi db upgrade`); compose.yaml
# wires them.
#
# BASE is any Debian-based image with python3 (3.11 or later) and its venv
# module, the same in both stages: the official slim image by default. Where
# Docker Hub cannot be reached, a Debian root made with debootstrap serves
# (tests/ops/test_image.py builds one and passes it as BASE).
ARG BASE=docker.io/library/python:3.11-slim-bookworm

# --- build: the virtualenv and the compiled translations ---------------------
FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /opt/civic/app
COPY requirements.txt ./
# Only the runtime requirements: the file's lines above "# Tests and tooling".
# Every one is a wheel, so no compiler is needed here either.
RUN python3 -m venv /opt/civic/venv \
 && sed '/^# Tests and tooling/,$d' requirements.txt > /tmp/runtime.txt \
 && /opt/civic/venv/bin/pip install --only-binary=:all: -r /tmp/runtime.txt \
 && /opt/civic/venv/bin/pip uninstall -y pip
COPY . .
RUN CIVIC_INSTANCE=/tmp/instance /opt/civic/venv/bin/flask --app wsgi civic compile-translations \
 && /opt/civic/venv/bin/python -m compileall -q civic config.py wsgi.py \
 && rm -rf /tmp/instance

# --- final: no compiler, no pip, not root -------------------------------------
FROM ${BASE}
RUN groupadd --system --gid 10001 civic \
 && useradd --system --uid 10001 --gid civic --home-dir /var/lib/civic --shell /usr/sbin/nologin civic \
 && mkdir -p /var/lib/civic \
 && chown civic:civic /var/lib/civic
COPY --from=build /opt/civic /opt/civic
ENV PATH=/opt/civic/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CIVIC_INSTANCE=/var/lib/civic \
    GUNICORN_BIND=0.0.0.0:8000 \
    LOG_FORMAT=json
WORKDIR /opt/civic/app
USER civic
EXPOSE 8000
# /healthz is 200 when the database (and Redis, when set) answer, else 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import os, sys, urllib.request; port = os.environ['GUNICORN_BIND'].rsplit(':', 1)[1]; sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status != 200)"]
# Only gunicorn's workers share metrics through files (deploy/gunicorn.conf.py
# clears the directory at start); the worker, scheduler and migrations do not.
CMD ["env", "PROMETHEUS_MULTIPROC_DIR=/tmp/civic-metrics", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
