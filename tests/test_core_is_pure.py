"""The core imports only the standard library, and never reads a clock or global randomness."""

import ast
import pathlib
import subprocess
import sys

CORE = [
    "seq",
    "segment",
    "states",
    "config",
    "timers",
    "notes",
    "endpoint",
    "explain",
    "app",
    "network",
    "trace",
    "analysis",
    "capture",
    "packetdrill",
    "profiles",
    "scenario",
    "textladder",
    "errors",
    "cli",
]


def test_importing_the_core_loads_nothing_outside_the_standard_library():
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"  # whatever site start-up (.pth files) loaded
        + "".join(f"import simulator.{m}\n" for m in CORE)
        + "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        + "bad = sorted(new - set(sys.stdlib_module_names) - {'simulator'})\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"the core imported: {out}"


def test_the_core_never_reads_the_wall_clock_or_global_randomness():
    root = pathlib.Path(__file__).parent.parent / "simulator"
    for name in CORE:
        tree = ast.parse((root / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                call = f"{node.value.id}.{node.attr}"
                assert call not in {
                    "time.time",
                    "time.monotonic",
                    "datetime.now",
                    "random.random",
                    "random.randint",
                    "random.randrange",
                    "random.choice",
                    "random.seed",
                }, f"{name}.py uses {call}"


def test_list_and_run_do_not_load_rich_or_matplotlib():
    code = (
        "import sys, io, contextlib\n"
        "from simulator.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['list']); main(['run', 'three_way_handshake'])\n"
        "print(sorted(m for m in ('rich', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
