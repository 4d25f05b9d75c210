"""Nothing of a check outlives it: its workers and its temporary folder go with it, however it ends.

- SIGTERM (what ``timeout``, CI runners and a plain ``kill`` send) ends a check as Ctrl-C does:
  ``terminated_as_exit`` turns it into ``SystemExit``, so every ``finally`` runs (the workers are
  stopped, the folder removed).
- A worker asks the kernel for a SIGTERM when its parent dies (Linux's ``PR_SET_PDEATHSIG``,
  prctl(2)), even by SIGKILL, which no handler sees: then it removes the folder the parent would
  have removed, and exits (``die_with_parent``).
- A folder's name carries the pid of the check that made it (``tcpsim-check-PID-...``): the next
  check removes those whose check is gone (``sweep_stale``), for where no process was left to do
  it (a serial check killed by SIGKILL).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

PREFIX = "tcpsim-check-"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def terminated_as_exit() -> Iterator[None]:
    """Within it, SIGTERM raises ``SystemExit(143)`` (in the main thread; elsewhere it changes nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def folder_prefix() -> str:
    """The prefix of this process's temporary folder: ``tcpsim-check-PID-``."""
    return f"{PREFIX}{os.getpid()}-"


def sweep_stale(directory: str | None = None) -> list[Path]:
    """Remove the temporary folders of checks that are no longer running; returns those removed."""
    removed = []
    for folder in Path(directory or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    with suppress(OSError):  # a zombie has ended: only its exit status waits to be read
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def die_with_parent(parent: int, folder: str) -> None:
    """In a worker: when ``parent`` dies, however, remove ``folder`` and exit (on Linux; elsewhere a
    worker still ends when its parent ends it)."""

    def ended(signum: int, frame: FrameType | None) -> None:
        if os.getppid() != parent:  # the parent is gone: no one else will remove the folder
            shutil.rmtree(folder, ignore_errors=True)
        os._exit(128 + signum)  # at once: a queue's feeder thread would wait for a reader that is gone

    signal.signal(signal.SIGTERM, ended)
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # it died before the request was made
        ended(signal.SIGTERM, None)
