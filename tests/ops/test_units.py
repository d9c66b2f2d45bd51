"""The systemd units in deploy/ are valid (systemd-analyze verify, with the
paths of this checkout) and run what docs/deploy.md says they run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = {"civic-web.service": "gunicorn -c deploy/gunicorn.conf.py wsgi:app",
         "civic-worker@.service": "flask --app wsgi civic worker",
         "civic-scheduler.service": "flask --app wsgi civic scheduler"}


def test_the_units_verify_and_start_the_right_process(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    paths = []
    for name, command in UNITS.items():
        text = (ROOT / "deploy" / name).read_text()
        assert f"/srv/civic/.venv/bin/{command}" in text
        assert "EnvironmentFile=/etc/civic/civic.env" in text and "Restart=always" in text
        # This checkout's paths, so that verify can check the executables exist.
        text = (text.replace("/srv/civic/.venv", sys.prefix).replace("/srv/civic", str(ROOT))
                .replace("/etc/civic/civic.env", str(ROOT / "deploy" / "civic.env.example")))
        path = tmp_path / name.replace("@.", "@1.")
        path.write_text(text)
        paths.append(str(path))
    out = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr
