"""A private PostgreSQL server for tests: found or installed from Debian packages, started on a free port.

`PostgresCluster` finds the binaries of the Debian `postgresql` package (/usr/lib/postgresql/<v>/bin), and
when they are missing installs them with `apt-get update && apt-get install -y postgresql` (needs root).
It creates a cluster with `initdb` in a fresh temp dir, starts it with `pg_ctl` on 127.0.0.1 and a free
port (as the `postgres` OS user when run as root: PostgreSQL refuses to run as root), with password
authentication and durability off (test data only), creates databases and stops and deletes everything
at the end. The session fixtures `postgres_cluster` and `postgres_url` wrap it; tests using them are
marked `@pytest.mark.postgres`. It does not touch the system cluster the package may have started.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.requires import missing

PG_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries and no way to install them here."""


def find_bin_dir() -> Path | None:
    found = [Path(d) for d in glob.glob(PG_GLOB) if (Path(d) / "initdb").exists()]
    return max(found, key=lambda d: int(d.parent.name)) if found else None


def install() -> Path:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable("PostgreSQL is not installed and this process cannot apt-get install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
    ):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]}")
    found = find_bin_dir()
    if found is None:
        raise PostgresUnavailable("apt-get installed postgresql but no initdb under " + PG_GLOB)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A throwaway cluster; `start()` then `url(db)` / `create_database(name)`; `stop()` removes it."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.root = Path(tempfile.mkdtemp(prefix="autodata-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.as_postgres = os.geteuid() == 0
        self.bin: Path | None = None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            log = (self.root / "server.log").read_text()[-1500:] if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()[-1500:]}\n{log}")
        return proc

    def start(self) -> PostgresCluster:
        t0 = time.monotonic()
        self.bin = find_bin_dir() or install()
        self.timings["find_or_install"] = time.monotonic() - t0
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        t0 = time.monotonic()
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        pwfile.unlink()
        self.timings["initdb"] = time.monotonic() - t0
        t0 = time.monotonic()
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.timings["start"] = time.monotonic() - t0
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", password=self.password, dbname="postgres"
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.bin and (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A started private PostgreSQL cluster for the test session (installed from Debian packages if needed)."""
    cluster = PostgresCluster()
    try:
        try:
            cluster.start()
        except PostgresUnavailable as exc:
            missing(str(exc))
        print(f"\nPostgreSQL on port {cluster.port}: " + ", ".join(f"{k} {v:.1f}s" for k, v in cluster.timings.items()))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster) -> str:
    """A SQLAlchemy URL of a fresh database `autodata` on the private cluster."""
    return postgres_cluster.create_database("autodata")
