"""A long list kept in a temporary file instead of memory, for the reports of a long connection."""

from __future__ import annotations

import marshal
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from ..model.errors import TcpsimError

T = TypeVar("T")


class SpoolError(TcpsimError):
    """A temporary file could not be made or written (no room, or no writable temporary directory)."""


@contextmanager
def temporary_files() -> Iterator[None]:
    """Around making or writing temporary files: an ``OSError`` becomes one clear ``SpoolError``."""
    try:
        yield
    except OSError as exc:
        raise SpoolError(
            f"cannot write a long connection's report to a temporary file ({exc.strerror or exc}); "
            "point TMPDIR at a directory with room"
        ) from None


class Spool(Generic[T]):
    """Items appended to a temporary file and read back in order, as often as asked.  They are
    written in blocks: a list of ``BLOCK`` items (each as ``encode`` makes it) ``marshal``ed,
    with its length before it.  The file has no name: it is gone once the spool is, even when
    the process is killed.  Items that ``keep`` picks (few, such as a connection's departures)
    also stay in memory, in ``kept``."""

    BLOCK = 4096  # items per block

    def __init__(
        self,
        encode: Callable[[T], tuple[Any, ...]],  # of what marshal writes: numbers, strings, tuples, None
        decode: Callable[[Any], T],
        keep: Callable[[T], bool] = lambda item: False,
    ) -> None:
        self._encode, self._decode, self._keep = encode, decode, keep
        with temporary_files():
            self._file = tempfile.TemporaryFile()  # noqa: SIM115  (open as long as the spool)
        self._block: list[tuple[Any, ...]] = []
        self._count = 0
        self.kept: list[T] = []

    def append(self, item: T) -> None:
        self._block.append(self._encode(item))
        self._count += 1
        if self._keep(item):
            self.kept.append(item)
        if len(self._block) >= self.BLOCK:
            self._write()

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def _write(self) -> None:
        data = marshal.dumps(self._block)
        with temporary_files():
            self._file.write(len(data).to_bytes(8, "little") + data)
        self._block = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        if self._block:
            self._write()
        with temporary_files():
            self._file.flush()
        fd, offset, decode = self._file.fileno(), 0, self._decode
        while size := int.from_bytes(os.pread(fd, 8, offset), "little"):
            block = marshal.loads(os.pread(fd, size, offset + 8))
            offset += 8 + size
            for fields in block:
                yield decode(fields)

    def close(self) -> None:
        self._file.close()
