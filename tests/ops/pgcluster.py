"""A throwaway PostgreSQL primary and its streaming replica on loopback.

The machine's own PostgreSQL is shared and has no replication line in its
pg_hba, so the replica tests build their own pair: ``initdb`` a primary in a
temporary directory (owned by the ``postgres`` OS user when run as root, as
CI does), start it with ``wal_level=replica`` on a free port, clone it with
``pg_basebackup -R`` and start the clone as a hot standby on another port.
:func:`pair` stops both and deletes the directory, even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(os.environ.get("CIVIC_PG_BIN", "/usr/lib/postgresql/15/bin"))


def available() -> str | None:
    """None when a pair can be built here, else the reason it cannot."""
    for tool in ("initdb", "pg_ctl", "pg_basebackup"):
        if not (BIN / tool).exists():
            return f"{BIN / tool} is missing"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "runuser is missing"
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "no postgres OS user"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    port: int
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


class Pair:
    def __init__(self, root: Path):
        self.root = root
        self.primary = Node(_free_port(), root / "primary")
        self.replica = Node(_free_port(), root / "replica")

    def run(self, *args, check=True, timeout=60):
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def start(self, node: Node) -> None:
        opts = (f"-p {node.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                "-c fsync=off -c shared_buffers=16MB -c max_connections=30")
        self.run(BIN / "pg_ctl", "-D", node.data, "-l", self.root / f"{node.data.name}.log", "-o", opts,
                 "-w", "-t", "30", "start")

    def stop(self, node: Node, mode: str = "fast") -> None:
        if (node.data / "postmaster.pid").exists():
            self.run(BIN / "pg_ctl", "-D", node.data, "-m", mode, "-w", "-t", "30", "stop", check=False)

    def build(self) -> None:
        self.run(BIN / "initdb", "-D", self.primary.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
                 "--locale=C.UTF-8")
        with open(self.primary.data / "postgresql.conf", "a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                       "max_standby_streaming_delay = -1\n")
        (self.primary.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n")
        self.start(self.primary)
        self.run(BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary.port, "-U", "postgres",
                 "-D", self.replica.data, "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self.start(self.replica)

    def log(self, node: Node) -> str:
        path = self.root / f"{node.data.name}.log"
        return path.read_text() if path.exists() else ""


@contextlib.contextmanager
def pair():
    """A started primary and replica; both stopped and deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="civic-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    p = Pair(root)
    try:
        try:
            p.build()
        except subprocess.CalledProcessError as err:
            raise RuntimeError(f"could not build the pair: {err.stderr}\n{p.log(p.primary)}\n{p.log(p.replica)}") from err
        yield p
    finally:
        p.stop(p.replica, "immediate")
        p.stop(p.primary, "immediate")
        shutil.rmtree(root, ignore_errors=True)


def wait_for(predicate, timeout: float = 15, every: float = 0.05):
    """Poll ``predicate`` until it is true (returns its value) or fail."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(every)
