"""Whatever ends a live command, its children and temporary folders end with it.

Three mechanisms, one for each way a command can end:

- SIGINT, SIGTERM, SIGHUP: ``ending_on_signals`` turns SIGTERM and SIGHUP into ``SystemExit``
  (Ctrl-C is already ``KeyboardInterrupt``), so every ``with`` block and ``finally`` runs:
  tcpdump is stopped, the namespace and its processes go, the temporary folder is removed.
- SIGKILL of the command: nothing of it runs again, so each child is started with
  ``die_with_parent`` (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``): the kernel kills it
  when the thread that started it dies.  tcpdump and the user's command go at once.
- What a killed command's children started in turn (a server in the background), and
  its namespace and temporary folder, are found by the next live command: both carry
  the owner's process id in their name, and ``sweep`` removes those whose owner is gone.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
# loaded now, in the parent: the child between fork and exec only calls it (no import, no dlopen there)
_PRCTL: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
_FOLDER = re.compile(r"^tcpsim-[a-z]+-(\d+)-")
_ENDING = (signal.SIGTERM, signal.SIGHUP)


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child is killed (SIGKILL) when this process dies."""
    parent = os.getpid()

    def arm() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: nobody would kill us
            os._exit(1)

    return arm


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def temporary_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder whose name carries this process's id (``tcpsim-KIND-PID-xxxx``): removed when the
    block ends, or by the next live command's ``sweep`` if this process is killed."""
    return tempfile.TemporaryDirectory(prefix=f"tcpsim-{kind}-{os.getpid()}-")


def sweep_folders(root: Path | None = None) -> list[Path]:
    """Remove the temporary folders of tcpsim processes that no longer run; returns them."""
    base = Path(root or tempfile.gettempdir())
    gone = []
    with suppress(OSError):
        for entry in base.iterdir():
            match = _FOLDER.match(entry.name)
            if match and entry.is_dir() and not entry.is_symlink() and not alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                gone.append(entry)
    return gone


class _Ending:
    """Shared by nested ``ending_on_signals`` blocks: the handlers are installed once, by the outermost."""

    depth = 0
    signal: int | None = None


def _end(signum: int, frame: FrameType | None) -> None:
    if _Ending.signal is not None:  # already ending: let the cleanups finish
        return
    _Ending.signal = signum
    raise SystemExit(128 + signum)


@contextmanager
def ending_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the block as ``SystemExit(128 + signal)`` (so cleanups run); a second
    signal while cleaning up is ignored rather than cutting the cleanup short.  Blocks may nest."""
    old: dict[int, object] = {}
    if _Ending.depth == 0:
        try:
            old = {signum: signal.signal(signum, _end) for signum in _ENDING}
        except ValueError:  # not the main thread: signals are the main thread's business
            yield
            return
        _Ending.signal = None
    _Ending.depth += 1
    try:
        yield
    finally:
        _Ending.depth -= 1
        if _Ending.depth == 0:
            for signum, handler in old.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
