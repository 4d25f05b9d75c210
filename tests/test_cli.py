"""The command line as a student meets it: output, JSON, and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import builtin_names
from simulator.cli import main

DATA = Path(__file__).parent / "data"


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True, input=stdin)


def test_list_shows_every_scenario_with_its_title(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in builtin_names():
        assert name in out
    assert "RFC 9293 Figure 8" in out


def test_run_prints_the_ladder_with_explanations(capsys):
    assert main(["run", "three_way_handshake"]) == 0
    out = capsys.readouterr().out
    assert "SYN seq=1000" in out and "SYN,ACK seq=5000 ack=1001" in out
    assert "a SYN occupies one sequence number" in out
    assert "final states: client ESTABLISHED, server ESTABLISHED" in out


def test_relative_numbers_start_at_zero(capsys):
    main(["run", "three_way_handshake", "--relative", "--brief"])
    out = capsys.readouterr().out
    assert "SYN,ACK seq=0 ack=1" in out


def test_isn_options_change_the_numbers(capsys):
    main(["run", "three_way_handshake", "--isn-client", "7", "--isn-server", "4294967295", "--json"])
    data = json.loads(capsys.readouterr().out)
    sends = [e["segment"] for e in data["events"] if e["kind"] == "send"]
    assert (sends[0]["seq"], sends[1]["seq"], sends[1]["ack"], sends[2]["ack"]) == (7, 4294967295, 8, 0)


def test_loss_and_seed_options_reach_the_network(capsys):
    main(["run", "data_transfer", "--loss", "0.3", "--seed", "3", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 3
    assert any(e["kind"] == "drop" for e in data["events"])


def test_show_prints_a_scenario_file_that_runs(tmp_path, capsys):
    assert main(["show", "lost_syn"]) == 0
    path = tmp_path / "mine.toml"
    path.write_text(capsys.readouterr().out)
    assert main(["run", str(path), "--brief"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_scenario"], "no scenario called 'no_such_scenario'"),
        (["run", "lost_syns"], "did you mean 'lost_syn'?"),
        (["run", "three_way_handshake", "--loss", "1.5"], "not a probability"),
        (["run", "three_way_handshake", "--isn-client", "-1"], "not a 32-bit sequence number"),
        (["run", "three_way_handshake", "--seed", "x"], "invalid int value"),
        (["frobnicate"], "invalid choice"),
        (["run", "missing.toml"], "does not exist"),
        (["show", "nope"], "no built-in scenario"),
        ([], "required"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_status_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("this is not = = toml", "not valid TOML"),
        ("[endpoint.client]\nscript = ['fly away']", "unknown script step"),
        ("[endpoint.client]\nmss = 0", "mss must be between"),
        ("[endpoint.client]\ncolour = 'red'", "unknown setting 'colour'"),
        ("[endpoint.client]\nscript = ['connect nobody']", "connect needs the name of another endpoint"),
        ("[network]\nloss = 2\n[endpoint.a]\n", "probability"),
        ("[[fault]]\nfrom = 'ghost'\n[endpoint.a]\n", "no endpoint called 'ghost'"),
        ("seed = 1\n", "no endpoints"),
        ("[endpoint.a]\nisn = 5000000000", "between 0 and 4294967295"),
        ("profile = 'simple'\n[endpoint.a]\nwindow = 100000", "window_scale"),
        ("[endpoint.a]\nnagle = 'yes'", "nagle must be true or false"),
        ("[endpoint.a]\nsend_buffer = 0", "send_buffer must be"),
        ("[endpoint.a]\ndelayed_ack_min = 1.0", "delayed_ack_min must be"),
        ("[endpoint.a]\nquickacks = -1", "quickacks must not be negative"),
        ("[endpoint.a]\nuser_timeout = -3", "user_timeout must be a positive"),
        ("[endpoint.a]\nsyn_linear_timeouts = 2.5", "syn_linear_timeouts must be a whole number"),
        ("[network]\nloopback = 'x'\n[endpoint.a]\n", "loopback must be true or false"),
        ("[network]\nloopback = true\nlatency = 0.1\n[endpoint.a]\n", "loopback hands each segment over at once"),
        ("profile_reason = 5\n[endpoint.a]\n", "profile_reason must be a string"),
        ("profile = 'bsd'\n[endpoint.a]\n", "profile must be one of"),
        ("[[fault]]\nflags = 'QQ'\n[endpoint.a]\n", "unknown TCP flag letter"),
        ("[endpoint.a]\nmss = 1460.5", "mss must be a whole number"),
        ("[endpoint.a]\nwindow_scale = 0.5", "window_scale must be a whole number"),
        ("[endpoint.a]\nmtu = 10", "mtu must be between 68 and 65535"),
        ("[endpoint.a]\naddress = 'example.com'", "address must be an IP address"),
        ("[endpoint.a]\nport = true", "port must be 1..65535"),
    ],
)
def test_a_bad_scenario_file_gives_one_clear_line_and_status_2(tmp_path, toml, message):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    result = run("run", str(path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_the_console_script_is_installed():
    import shutil

    exe = shutil.which("tcpsim")
    if exe is None:
        pytest.skip("tcpsim is not installed as a console script here (pip install -e .)")
    result = subprocess.run([exe, "run", "three_way_handshake", "--brief"], capture_output=True, text=True)
    assert result.returncode == 0 and "ESTABLISHED" in result.stdout


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["diagram", "lost_syn", "-o", "x.svg"], "matplotlib"),
        (["diagrams", "--out", "d"], "matplotlib"),
        (["export", "lost_syn", "-o", "x.pcap"], "scapy"),
    ],
)
def test_a_missing_optional_library_is_one_line_not_a_traceback(tmp_path, args, module):
    code = (
        "import sys, importlib.util\n"
        f"real = importlib.util.find_spec\n"
        f"importlib.util.find_spec = lambda name, *a: None if name == {module!r} else real(name, *a)\n"
        "from simulator.cli import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"tcpsim {args[0]} needs {module}, which is not installed: pip install -e '.[{'plot' if module == 'matplotlib' else 'scapy'}]'"
    ]


def test_read_lists_a_real_linux_connection_with_relative_numbers(capsys):
    assert main(["read", str(DATA / "linux-loopback.pcap")]) == 0
    out = capsys.readouterr().out
    assert "10 TCP in 1 connection, 0 not TCP" in out
    assert "127.0.0.1:50182 <-> 127.0.0.1:8080, 10 packets, Zeek state SF" in out
    assert "<- SYN,ACK seq=0 ack=1 len=0" in out
    assert "-> ACK seq=7 ack=7 len=0" in out


def test_read_absolute_shows_the_raw_sequence_numbers(capsys):
    main(["read", str(DATA / "linux-loopback.pcap"), "--absolute"])
    out = capsys.readouterr().out
    assert "SYN seq=0 " not in out


def test_reading_a_capture_without_tcp_is_one_error_line(tmp_path):
    header = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000065000000")  # pcap, raw IP
    udp = bytes.fromhex("4500001c000000004011000001020304050607080035003500080000")
    record = (0).to_bytes(8, "little") + len(udp).to_bytes(4, "little") * 2 + udp
    path = tmp_path / "dns.pcap"
    path.write_bytes(header + record)
    result = run("read", str(path))
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: no TCP in this capture (1 packet, not read: 1 UDP)\n"


@pytest.mark.parametrize("cut", [10, 30, 100])
def test_reading_a_truncated_capture_is_one_error_line(tmp_path, cut):
    path = tmp_path / "cut.pcap"
    path.write_bytes((DATA / "linux-loopback.pcap").read_bytes()[:cut])
    result = run("read", str(path))
    assert result.returncode == 2 and result.stderr.startswith(f"error: {path}: ") and result.stderr.count("\n") == 1


def test_no_command_ever_looks_a_name_up(tmp_path, monkeypatch, capsys):
    # addresses are IP literals, checked when the scenario is loaded: nothing here may ask a resolver
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"name resolution: {args}")

    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo"):
        monkeypatch.setattr(socket, name, refuse)
    pytest.importorskip("scapy")
    pytest.importorskip("matplotlib")
    capture = tmp_path / "run.pcapng"
    assert main(["run", "graceful_close"]) == 0
    assert main(["export", "graceful_close", "-o", str(capture)]) == 0
    assert main(["diagram", "graceful_close", "-o", str(tmp_path / "d.svg")]) == 0
    assert main(["check", str(capture)]) == 0
    scenario = tmp_path / "named.toml"
    scenario.write_text("[endpoint.a]\naddress = 'server.example'\nscript = ['listen']\n")
    assert main(["export", str(scenario), "-o", str(tmp_path / "x.pcap")]) == 2
    assert "never looks names up" in capsys.readouterr().err


def test_a_failed_export_leaves_the_file_it_was_to_replace_as_it_was(tmp_path):
    pytest.importorskip("scapy")
    target = tmp_path / "kept.pcapng"
    target.write_bytes(b"the student's own capture")
    result = run("export", "graceful_close", "--at", "nobody", "-o", str(target))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "no endpoint called 'nobody'" in result.stderr
    assert target.read_bytes() == b"the student's own capture"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.pcapng"]  # and no half-written file beside it


def test_an_output_is_renamed_into_place_only_when_whole(tmp_path):
    from simulator.capture.outputs import replacing

    target = tmp_path / "out.svg"
    target.write_text("old")

    def write_half() -> None:
        with replacing(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError):
        write_half()
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.svg"]
    with replacing(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out.svg"]


def test_an_export_with_no_packet_is_written_without_a_library_warning(tmp_path, capfd):
    # Scapy guesses a pcap's link type from its first packet; with none it warned "unknown LL type" on
    # stderr (issue 26: no library warning) and wrote Ethernet: the link type is now said outright
    pytest.importorskip("scapy")
    scenario = tmp_path / "quiet.toml"
    scenario.write_text('[endpoint.a]\nscript = ["listen"]\n')
    out = tmp_path / "quiet.pcap"
    assert main(["export", str(scenario), "-o", str(out)]) == 0
    captured = capfd.readouterr()
    assert captured.err == "" and "0 packets" in captured.out
    assert int.from_bytes(out.read_bytes()[20:24], "little") == 228  # LINKTYPE_IPV4, as a non-empty export
