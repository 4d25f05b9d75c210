"""The project's exceptions: each message is written for a student to read."""

from __future__ import annotations


class TcpsimError(Exception):
    """Base class of every error tcpsim raises on purpose."""


class UserCallError(TcpsimError):
    """A user call the RFC refuses in the current state (RFC 9293 section 3.10)."""


class ScenarioError(TcpsimError):
    """A scenario file or scenario option that cannot be run as written."""


class TraceFormatError(TcpsimError):
    """A trace file that is not a tcpsim JSON trace this version can read."""


class ModelError(TcpsimError):
    """The model reached a state transition its own table does not allow (a bug)."""
