"""gunicorn settings for Civic: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

With PROMETHEUS_MULTIPROC_DIR set (an empty directory, cleared before each
start), every worker writes its metrics there and /metrics adds them up; a
worker that exits is marked dead so its gauges stop counting.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
graceful_timeout = 30
accesslog = None  # Civic logs each request itself (civic/core/logs.py: no address in clear)


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.unlink(os.path.join(path, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # gunicorn's own lines (start, workers booted or lost) as JSON objects
    # too, through Civic's formatter and its email/address filter.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "civic.core.logs.JsonFormatter"}},
        "filters": {"redact": {"()": "civic.core.logs.RedactFilter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"],
                              "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False, "qualname": "gunicorn.error"},
            "gunicorn.access": {"level": "INFO", "handlers": ["json"], "propagate": False,
                                "qualname": "gunicorn.access"},
        },
    }
