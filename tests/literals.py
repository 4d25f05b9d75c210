"""Finding sentences written into logic: they belong in a catalogue keyed by what happened."""

from __future__ import annotations

import ast

WORDS = 5  # a string of this many words or more is a sentence, or part of one ('rcv ACK of FIN' is a name)


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes (a module's, a class's or a function's): they explain the code."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _error_messages(tree: ast.AST) -> set[int]:
    """The ids of every string inside a ``raise``: an error's one line is the exception's, not the trace's."""
    return {id(node) for r in ast.walk(tree) if isinstance(r, ast.Raise) for node in ast.walk(r)}


def sentence_literals(source: str, *, errors_too: bool = True) -> list[tuple[int, str]]:
    """(line, text) of every string of ``WORDS`` words or more that is not a docstring (nor, with
    ``errors_too`` False, an exception's message).  An f-string is a sentence with holes: its text parts
    and its holes count together."""
    tree = ast.parse(source)
    skipped = _docstrings(tree) | (set() if errors_too else _error_messages(tree))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(v) for v in node.values)
            text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if len([word for word in text.split() if any(c.isalpha() or c == "{" for c in word)]) >= WORDS:
            found.append((node.lineno, text))
    return sorted(found)
