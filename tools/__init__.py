"""Developers' tools, run from the project folder: python -m tools.soak --help."""
