"""``tcpsim diagrams``: the three diagrams of every built-in scenario, and an index page."""

from __future__ import annotations

from pathlib import Path

from ..model.errors import TcpsimError
from ..sim.scenario import builtin_names, load

INDEX = "README.md"


def write_gallery(out: Path) -> list[Path]:
    """Draw every built-in scenario's ladder, state and time-sequence diagram into ``out``."""
    import matplotlib

    from .plot import KINDS, draw, save

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TcpsimError(f"cannot create {out}: {exc.strerror or exc}") from None
    written: list[Path] = []
    rows = []
    for name in builtin_names():
        scenario = load(name)
        trace = scenario.run()
        files = []
        for kind in KINDS:
            path = out / f"{name}-{kind}.svg"
            figure = draw(kind, trace)
            written.append(save(figure, path))
            figure.clear()
            files.append(path.name)
        rows.append(
            f"| [{name}](#{name.replace('_', '-')}) | {scenario.title} | "
            + " · ".join(f"[{kind}]({file})" for kind, file in zip(KINDS, files, strict=True))
            + " |"
        )
    sections = []
    for name in builtin_names():
        scenario = load(name)
        figure_note = f" ({scenario.figure})" if scenario.figure else ""
        sections.append(
            f"## {name}\n\n{scenario.title}{figure_note}.\n\n"
            f"![ladder of {name}]({name}-ladder.svg)\n\n"
            f"![time-sequence graph of {name}]({name}-timeseq.svg)\n\n"
            f"![state path of {name}]({name}-states.svg)\n"
        )
    index = out / INDEX
    index.write_text(
        "# Diagrams of the built-in scenarios\n\n"
        "Made by `tcpsim diagrams --out diagrams/` "
        f"(matplotlib {matplotlib.__version__}); a test fails when they are out of date.\n\n"
        "| scenario | what it shows | diagrams |\n|---|---|---|\n" + "\n".join(rows) + "\n\n" + "\n".join(sections),
        encoding="utf-8",
    )
    written.append(index)
    return written
