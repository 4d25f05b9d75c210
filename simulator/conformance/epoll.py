"""epoll as the runner's host offers it: interest lists over the model's sockets (fs/eventpoll.c).

An epoll instance watches sockets for events (``EPOLLIN``, ``EPOLLOUT``, ...).  ``epoll_wait``
reports a socket whose ``poll`` answer (``tcp_poll``) meets its interest: every time while the
condition holds (level-triggered), or with ``EPOLLET`` only after something woke the socket since
it was last reported (a socket's wakeups: data arriving, a state change, an error, a zerocopy
notice; ``SocketHost.wakeups``).  ``EPOLLONESHOT`` reports once, until ``EPOLL_CTL_MOD`` arms the
socket again.  ``EPOLLEXCLUSIVE`` matters only with several waiters, which a script never has.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..model.sockets import Socket, SocketHost

__all__ = ["EpollSet", "Interest", "parse_events"]

# epoll's event names for poll's (include/uapi/linux/eventpoll.h: the same bits)
_POLL_NAME = {
    "EPOLLIN": "POLLIN",
    "EPOLLOUT": "POLLOUT",
    "EPOLLERR": "POLLERR",
    "EPOLLHUP": "POLLHUP",
    "EPOLLRDHUP": "POLLRDHUP",
    "EPOLLPRI": "POLLPRI",
}


class Mode(enum.StrEnum):
    """The input flags of an interest (not events)."""

    EDGE = "EPOLLET"
    ONESHOT = "EPOLLONESHOT"
    EXCLUSIVE = "EPOLLEXCLUSIVE"


def parse_events(text: str) -> tuple[frozenset[str], frozenset[Mode]]:
    """``EPOLLIN|EPOLLET`` as the poll events it asks for and the modes it sets; unknown names are ignored."""
    names = {name.strip() for name in text.split("|")}
    events = frozenset(_POLL_NAME[name] for name in names if name in _POLL_NAME)
    modes = frozenset(Mode(name) for name in names if name in Mode._value2member_map_)
    return events, modes


@dataclass(slots=True)
class Interest:
    """One socket in an epoll set: what it asks for, and what was last reported."""

    sock: Socket
    events: frozenset[str]
    modes: frozenset[Mode]
    seen: tuple[object, ...] | None = None  # the socket's wakeups when last reported; None: report what holds
    armed: bool = True  # EPOLLONESHOT: False once reported, until EPOLL_CTL_MOD


@dataclass(slots=True)
class EpollSet:
    """An epoll instance: its interest list by descriptor."""

    interests: dict[int, Interest] = field(default_factory=dict)

    def ready(self, host: SocketHost, limit: int) -> list[tuple[int, frozenset[str]]]:
        """What ``epoll_wait`` reports now, at most ``limit`` sockets (ep_send_events), and marks it reported."""
        found: list[tuple[int, frozenset[str]]] = []
        for fd, interest in self.interests.items():
            if len(found) >= limit or not interest.armed:
                continue
            wakeups = host.wakeups(interest.sock)
            if Mode.EDGE in interest.modes and interest.seen == wakeups:
                continue  # nothing new woke it since it was last looked at
            interest.seen = wakeups  # a wakeup is used up by the look, reported or not (ep_send_events)
            revents = frozenset(host.revents(interest.sock, "|".join(interest.events)))
            if not revents:
                continue
            found.append((fd, revents))
            if Mode.ONESHOT in interest.modes:
                interest.armed = False
        return found
