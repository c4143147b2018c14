"""One measured process for the benchmarks: wall and CPU seconds, peak RSS, exit status, output."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Run:
    wall: float
    cpu: float
    peak_mib: float  # the process's own peak RSS (wait4), not the largest child so far
    exit_code: int
    stdout: bytes


def run_process(argv: list[str], env: dict[str, str], *, keep_output: bool = False) -> Run:
    """Run ``argv`` with ``env``; stderr is discarded, stdout kept when ``keep_output``."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE if keep_output else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = proc.stdout.read() if proc.stdout is not None else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        os.waitstatus_to_exitcode(status),
        out,
    )
