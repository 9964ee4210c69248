"""Stopping a process and whatever it started: each server runs in a process group of its own."""

import os
import signal
import subprocess


def stop_group(process: "subprocess.Popen[bytes]", sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal the group the process leads, then reap it; SIGKILL if it outlives ``timeout``."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def is_running(pid: int | None) -> bool:
    """Whether a process with this PID exists (and is not yet reaped)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
