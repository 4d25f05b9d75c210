"""The house's layers: each subpackage imports only itself and the layers below it.

``simulator.LAYERS`` is the one list of the layers, lowest first; the rules below are derived from
it, so moving a module or adding a subpackage needs no second list kept by hand.  The lowest
layers are the sans-IO core: standard library only, no wall clock, no global randomness.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from simulator import LAYERS

PACKAGE = pathlib.Path(__file__).parent.parent / "simulator"
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}
# The layers whose every module imports only the standard library.
STANDARD_LIBRARY_ONLY = ("model", "system", "sim", "conformance", "capture")
# The one module of those layers that is an edge: it builds real packets with Scapy.
EDGES = {"simulator.capture.export"}
# The sans-IO core, which never reads a clock or the global random generator.
CORE = ("model", "sim")
WALL_CLOCK_OR_GLOBAL_RANDOMNESS = {
    "time.time",
    "time.monotonic",
    "time.perf_counter",
    "datetime.now",
    "random.random",
    "random.randint",
    "random.randrange",
    "random.choice",
    "random.seed",
}


def _modules() -> list[tuple[str, pathlib.Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def _imports(module: str, path: pathlib.Path) -> list[tuple[int, str]]:
    """Every module ``module`` imports, anywhere in it (lazy imports too), as absolute names."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            if node.module is None:  # from . import name: name may be a module
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "simulator" and len(parts) > 1 and parts[1] in RANK else None


def test_every_subpackage_belongs_to_a_layer():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == set(RANK), "simulator.LAYERS and the folders under simulator/ disagree"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_imports_go_only_downwards(module, path):
    own = _layer(module)
    if own is None:
        return  # simulator/__init__.py and __main__.py: the package's front door may import any layer
    for line, target in _imports(module, path):
        theirs = _layer(target)
        if theirs is None or theirs == own:
            continue
        assert RANK[theirs] < RANK[own], f"{path.name}:{line}: {own} may not import {target} ({theirs} is not below it)"


@pytest.mark.parametrize(
    ("module", "path"),
    [(m, p) for m, p in _modules() if _layer(m) in STANDARD_LIBRARY_ONLY and m not in EDGES],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_core_layers_import_only_the_standard_library(module, path):
    for line, target in _imports(module, path):
        top = target.split(".")[0]
        assert top == "simulator" or top in sys.stdlib_module_names, f"{path.name}:{line}: imports {target}"
        assert target not in EDGES, f"{path.name}:{line}: imports the Scapy edge {target}"


@pytest.mark.parametrize(
    ("module", "path"),
    [(m, p) for m, p in _modules() if _layer(m) in CORE],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_core_never_reads_the_wall_clock_or_global_randomness(module, path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            call = f"{node.value.id}.{node.attr}"
            assert call not in WALL_CLOCK_OR_GLOBAL_RANDOMNESS, f"{path.name}:{node.lineno} uses {call}"


def test_importing_the_core_loads_nothing_outside_the_standard_library():
    core = [m for m, _ in _modules() if _layer(m) in STANDARD_LIBRARY_ONLY and m not in EDGES]
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"  # whatever site start-up (.pth files) loaded
        + "".join(f"import {m}\n" for m in core)
        + "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        + "bad = sorted(m for m in new - set(sys.stdlib_module_names) - {'simulator'} if not m.startswith('__'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"the core imported: {out}"


def test_a_move_against_the_layers_is_caught(tmp_path):
    """The rule can fail: a model module that imported the simulation layer would be refused."""
    bad = tmp_path / "endpoint.py"
    bad.write_text("from ..sim.trace import Trace\n")
    ((_, target),) = _imports("simulator.model.endpoint", bad)
    assert target == "simulator.sim.trace"
    assert RANK[_layer(target)] > RANK["model"]


def test_list_and_run_do_not_load_rich_or_matplotlib():
    code = (
        "import sys, io, contextlib\n"
        "from simulator.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['list']); main(['run', 'three_way_handshake'])\n"
        "print(sorted(m for m in ('rich', 'matplotlib', 'scapy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
