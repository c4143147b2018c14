"""``medcite serve --workers N`` (N > 1): load once, then fork the workers.

uvicorn's own workers are spawned processes, each importing medcite and loading the store's
vocabulary, MeSH and drug tables, hyphenation patterns and index readers for itself: N workers
used N times one worker's memory. Here the parent loads all of it (:meth:`Engine.warm` answers a
question without saving it, which loads what answering loads lazily), closes its database
connections (a forked worker must never share a socket or an SQLite handle with another
process), moves every object it made into the garbage collector's permanent generation
(``gc.freeze()``: a collection in a worker would otherwise write to every object's header and
copy every page), binds the listening socket and forks. The workers share those pages copy on
write and open their own connections on first use; only what a worker writes (its requests,
its caches) is its own. On Linux each worker listens on a socket of its own on the same port
(SO_REUSEPORT), so the kernel spreads connections evenly among them.

The parent only supervises: SIGTERM or SIGINT is passed to the workers, which finish their
requests and stop; a worker that dies is replaced (the replacement forks from the same loaded
state), unless it died within seconds of starting, which would repeat.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType

from medcite.config import Settings

log = logging.getLogger("medcite.web")

QUICK_DEATH_S = 5.0  # a worker dying sooner than this after its start is not replaced
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (``mallopt(M_ARENA_MAX)``), unless MALLOC_ARENA_MAX is set.

    glibc gives each new thread an arena of its own, up to 8 per core, and memory freed in one
    is not reused by another: a threaded server's RSS crept up under load (measured: +17 MiB
    over 250 answers with 16 threads, flat with 2 arenas, at the same throughput). Whether it
    was applied (not on other C libraries)."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(-8, arenas))  # M_ARENA_MAX


def bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A listening socket on ``host:port``. ``reuse_port``: one of a group (SO_REUSEPORT), each
    worker listening on its own, among which the kernel spreads new connections evenly."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _reserve(host: str, port: int) -> tuple[socket.socket, bool]:
    """The socket the parent holds: with SO_REUSEPORT (Linux), bound but not listening (it only
    keeps the port, and makes a taken port an error here, before forking); otherwise the one
    listening socket the workers share, whose connections go to whichever worker accepts first
    (unevenly: one worker tends to win them while both are idle)."""
    if hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        return sock, True
    return bind(host, port), False


def _run_worker(
    settings: Settings, engine: object, sock: socket.socket, own_socket: bool, log_level: str
) -> None:
    """In the forked child: serve until told to stop, on a socket of its own in ``sock``'s
    SO_REUSEPORT group when ``own_socket``, else on ``sock``; never returns."""
    status = 0
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        if own_socket:
            host, port = sock.getsockname()[:2]
            sock.close()
            sock = bind(host, port, reuse_port=True)
        import uvicorn

        from medcite.web.app import create_app
        from medcite.web.engine import Engine

        assert isinstance(engine, Engine)
        app = create_app(settings, engine=engine)
        config = uvicorn.Config(
            app, log_level=log_level, proxy_headers=False, server_header=False, lifespan="on"
        )
        uvicorn.Server(config).run(sockets=[sock])
    except BaseException:  # a worker reports and exits; the parent decides
        log.exception("worker %d failed", os.getpid())
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve(settings: Settings, host: str, port: int, workers: int, log_level: str) -> int:
    """Load, fork ``workers`` workers serving ``host:port``, supervise them; the exit status."""
    from medcite.web.engine import Engine

    logging.basicConfig(level=log_level.upper() if log_level != "trace" else "DEBUG")
    started = time.perf_counter()
    engine = Engine(settings)
    engine.warm()
    engine.release_connections()
    sock, own_sockets = _reserve(host, port)
    gc.collect()
    gc.freeze()  # what is loaded now stays shared: no collection in a worker touches it
    print(
        f"medcite: loaded in {time.perf_counter() - started:.1f} s; "
        f"forking {workers} workers (parent {os.getpid()})",
        file=sys.stderr,
        flush=True,
    )

    children: dict[int, float] = {}
    stopping = False

    def spawn() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_worker(settings, engine, sock, own_sockets, log_level)
        children[pid] = time.monotonic()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        spawn()
    status = 0
    while children:
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            break
        born = children.pop(pid, None)
        if stopping or born is None:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        if time.monotonic() - born < QUICK_DEATH_S:
            print(
                f"medcite: worker {pid} exited ({code}) right after starting; stopping",
                file=sys.stderr,
                flush=True,
            )
            status = 1
            stop(signal.SIGTERM, None)
            continue
        print(f"medcite: worker {pid} exited ({code}); starting another", file=sys.stderr)
        spawn()
    sock.close()
    return status
