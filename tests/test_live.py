"""Live traffic: probe a port, capture a command's conversation, and the model against Linux over TUN.

Every test here makes its own network namespace (or talks only to 127.0.0.1)
and leaves none behind.  They need root, ip and tcpdump: without them they skip
on a laptop and fail under CI=true (see simulator.live.pytest_plugin).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.capture.checker import check
from simulator.capture.connections import read
from simulator.cli import main
from simulator.live import namespace as ns_module
from simulator.live.namespace import Namespace, existing
from simulator.live.probe import probe, render
from simulator.live.pytest_plugin import namespace_or_skip
from simulator.live.session import agrees, report, run_live
from simulator.model.segment import Flags
from simulator.sim.scenario import load

from .test_checker_linux import tshark_differences


@pytest.fixture
def root_with_tools() -> None:
    namespace_or_skip(["tcpdump", "iptables", "ethtool"], "run the live tests")


@pytest.fixture(autouse=True)
def no_namespace_left_behind():
    yield
    if os.geteuid() == 0:  # this process's own (another tcpsim may be running on the machine)
        mine = [n for n in existing() if n.startswith(f"tcpsim-{os.getpid()}-")]
        assert not mine, f"namespaces left behind: {mine}"


# ------------------------------------------------------------------ probe
@pytest.mark.usefixtures("root_with_tools")
def test_probe_an_open_port_shows_handshake_and_clean_close_as_the_model_predicts():
    result = probe("127.0.0.1", 5000, timeout=3, example="open")
    assert result.verdict == "open"
    flags = [p.segment.flags.names for p in result.connection.packets]
    assert flags[:3] == ["SYN", "SYN,ACK", "ACK"]
    assert all(row.same for row in result.rows), "\n".join(render(result))


@pytest.mark.usefixtures("root_with_tools")
def test_probe_a_closed_port_sees_the_syn_answered_by_rst():
    result = probe("127.0.0.1", 5000, timeout=3, example="closed")
    assert result.verdict == "closed"
    assert [p.segment.flags.names for p in result.connection.packets] == ["SYN", "RST,ACK"]
    assert all(row.same for row in result.rows)


@pytest.mark.usefixtures("root_with_tools")
def test_probe_a_filtered_port_shows_the_syn_retransmissions_and_their_times():
    result = probe("127.0.0.1", 5000, timeout=2.5, example="filtered")
    assert result.verdict == "filtered"
    assert len(result.syn_times) >= 2 and 0.9 < result.syn_times[1] < 1.5
    assert result.model_syn_times[:2] == [0.0, 1.0]
    text = "\n".join(render(result))
    assert "SYN sent at 0.00, 1.0" in text and "RFC 6298" in text


def test_probe_without_root_still_answers_from_the_socket_api(monkeypatch):
    import socket

    from simulator.live import probe as probe_module

    monkeypatch.setattr(probe_module, "missing", lambda tools, what: f"{what} needs root")
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        result = probe("127.0.0.1", port, timeout=2)
    assert result.verdict == "open" and result.connection is None
    assert "packets: not shown (packet detail needs root)" in "\n".join(render(result))


def test_probe_refuses_an_address_outside_loopback(capsys):
    assert main(["probe", "192.0.2.1:80"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a loopback address" in err[0]


@pytest.mark.usefixtures("root_with_tools")
def test_probe_json_lists_the_packets_with_relative_numbers(capsys):
    assert main(["probe", "--example", "closed", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "closed" and data["agrees_with_model"] is True
    assert [(p["from"], p["flags"], p["ack"]) for p in data["packets"]] == [
        ("probe", "SYN", 0),
        ("target", "RST,ACK", 1),
    ]


# ---------------------------------------------------------------- capture
ECHO = """
import socket, threading
srv = socket.create_server(("127.0.0.1", 7000))
def serve():
    c, _ = srv.accept()
    while (d := c.recv(65536)):
        c.sendall(d)
    c.close()
t = threading.Thread(target=serve); t.start()
cli = socket.create_connection(("127.0.0.1", 7000))
cli.sendall(b"x" * 200000)
got = 0
while got < 200000:
    got += len(cli.recv(65536))
cli.close(); t.join()
"""


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize(
    "options", [[], ["--no-offload", "--mtu", "1500"], ["--no-offload", "--mtu", "1500", "--loss", "0.05"]]
)
def test_capture_runs_a_command_in_a_namespace_and_checks_its_conversation(tmp_path, capsys, options):
    pcap = tmp_path / "echo.pcap"
    status = main(["capture", "-o", str(pcap), *options, "--brief", "--", sys.executable, "-c", ECHO])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "succeeded (in namespace tcpsim-" in out and "1 conforms to the model, 0 depart" in out
    packets = read(pcap).connections[0].packets
    if "--no-offload" in options:  # no super-segments: every segment fits the MTU
        assert max(p.length for p in packets) <= 1500 - 52
    if "--loss" in options:
        # lost after the capture point, so the capture shows the recovery (about 14 of 280 data segments)
        report = check(read(pcap).connections[0])
        labels = {label for p in report.packets for label in p.labels}
        assert labels & {"retransmission", "fast retransmission"}, labels
        assert not tshark_differences(pcap, [report])  # and Wireshark's analysis agrees, packet by packet


@pytest.mark.usefixtures("root_with_tools")
def test_loss_is_a_drop_on_input_after_the_capture_point_not_on_output():
    # a DROP on OUTPUT is reported to the sending TCP, which sends again at once: no loss on the wire
    with Namespace(loss=0.25) as ns:
        rules = {
            chain: subprocess.run(ns.command(["iptables", "-S", chain]), capture_output=True, text=True).stdout
            for chain in ("INPUT", "OUTPUT")
        }
    assert "--mode random --probability 0.25" in rules["INPUT"] and "-j DROP" in rules["INPUT"]
    assert "DROP" not in rules["OUTPUT"]


@pytest.mark.usefixtures("root_with_tools")
def test_capture_with_json_prints_only_the_document_on_stdout(tmp_path, capfd):
    program = "print('hello from the command', flush=True)" + ECHO
    status = main(["capture", "-o", str(tmp_path / "echo.pcap"), "--json", "--", sys.executable, "-c", program])
    out, err = capfd.readouterr()
    assert status == 0
    assert json.loads(out)["summary"].endswith("1 conforms to the model, 0 depart")
    assert "hello from the command" in err and "succeeded (in namespace tcpsim-" in err


MANY = """
import socket, threading
srv = socket.create_server(("127.0.0.1", 7100)); srv.listen(64)
def handle(c):
    data = b""
    while len(data) < 3000:
        d = c.recv(65536)
        if not d: break
        data += d
    c.sendall(b"r" * 20000)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536): pass
    c.close()
def serve():
    for _ in range(20):
        c, _ = srv.accept(); threading.Thread(target=handle, args=(c,)).start()
threading.Thread(target=serve).start()
def client():
    s = socket.create_connection(("127.0.0.1", 7100)); s.sendall(b"q" * 3000)
    while s.recv(65536): pass
    s.close()
ts = [threading.Thread(target=client) for _ in range(20)]
[t.start() for t in ts]; [t.join() for t in ts]
"""


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("offload", [[], ["--no-offload", "--mtu", "1500"]])
def test_twenty_interleaved_connections_through_ten_percent_loss_all_conform(tmp_path, capsys, offload):
    # lost packets the capture never sees, retransmissions, window updates tcpdump may miss in a burst
    status = main(
        [
            "capture",
            "-o",
            str(tmp_path / "many.pcap"),
            "--loss",
            "0.1",
            *offload,
            "--brief",
            "--",
            sys.executable,
            "-c",
            MANY,
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "20 connections" in out and "20 conform to the model, 0 depart" in out
    pcap = tmp_path / "many.pcap"
    assert not tshark_differences(pcap, [check(conn) for conn in read(pcap).connections])


@pytest.mark.usefixtures("root_with_tools")
def test_the_readme_capture_example_runs_and_conforms(tmp_path, capfd):
    example = Path(__file__).parent.parent / "examples" / "echo.py"
    argv = ["capture", "-o", str(tmp_path / "echo.pcap"), "--no-offload", "--mtu", "1500", "--brief"]
    assert main([*argv, "--", sys.executable, str(example)]) == 0
    out = capfd.readouterr().out
    assert "echoed 100000 bytes" in out and "1 connection, " in out and "1 conforms to the model" in out


def test_tcpdumps_kernel_drops_are_read_from_its_last_words():
    last_words = "\n1200 packets captured\n1461 packets received by filter\n261 packets dropped by kernel\n"
    assert ns_module.dropped_by_kernel(last_words) == 261
    assert (
        ns_module.dropped_by_kernel("1 packet captured\n1 packet received by filter\n0 packets dropped by kernel") == 0
    )
    assert ns_module.dropped_by_kernel("") == 0


def test_capture_says_when_tcpdump_missed_packets(capsys, monkeypatch):
    from simulator.live import record as record_module

    data = Path(__file__).parent / "data" / "linux-loopback.pcap"
    made = record_module.Recording(data, 0, "tcpsim-1-1", dropped=261)
    monkeypatch.setattr(record_module, "record", lambda *args, **kwargs: made)
    assert main(["capture", "--brief", "--", "true"]) == 0
    out = capsys.readouterr().out
    assert "tcpdump: 261 packets dropped by the kernel before tcpdump read them" in out
    assert "'previous segment not captured'" in out


@pytest.mark.usefixtures("root_with_tools")
def test_capture_of_a_failing_command_keeps_the_capture_and_says_so(tmp_path, capsys):
    pcap = tmp_path / "x.pcap"
    status = main(["capture", "-o", str(pcap), "--", "sh", "-c", "exit 3"])
    captured = capsys.readouterr()
    assert status == 2 and "exited with status 3" in captured.out
    assert captured.err.count("\n") == 1 and "no TCP in this capture" in captured.err
    assert pcap.exists()


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_capture_leaves_no_namespace_behind(tmp_path, signum):
    command = [sys.executable, "-m", "simulator", "capture", "-o", str(tmp_path / "x.pcap"), "--", "sleep", "30"]
    child = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    name = f"tcpsim-{child.pid}-"
    for _ in range(100):
        if any(n.startswith(name) for n in existing()):
            break
        time.sleep(0.05)
    else:
        child.kill()
        pytest.fail("the capture never made its namespace")
    time.sleep(0.5)  # tcpdump and the command have started
    os.killpg(child.pid, signum)
    _, err = child.communicate(timeout=30)
    assert not any(n.startswith(name) for n in existing())
    assert child.returncode in (130, 128 + signum), err
    assert "Traceback" not in err


@pytest.mark.usefixtures("root_with_tools")
def test_an_interrupted_live_run_leaves_no_namespace_or_tun_device_behind(tmp_path):
    command = [
        sys.executable,
        "-m",
        "simulator",
        "live",
        "zero_window",
        "--kernel",
        "client",
        "--pcap",
        str(tmp_path / "x.pcapng"),
        "-o",
        "-",
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert child.stdout is not None
    child.stdout.readline()  # the header: the namespace and the TUN device are being made
    child.stdout.readline()  # the first segment: the run is under way
    os.killpg(child.pid, signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130 and "Traceback" not in err, err
    assert not any(n.startswith(f"tcpsim-{child.pid}-") for n in existing())
    links = subprocess.run(["ip", "link"], capture_output=True, text=True).stdout
    assert "tcpsim0" not in links


@pytest.mark.usefixtures("root_with_tools")
def test_a_namespace_left_by_a_killed_process_is_swept_by_the_next_one():
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from simulator.live.namespace import Namespace\nimport time\n"
            "with Namespace():\n    print('in', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "in"
    child.kill()  # SIGKILL: no finally runs
    child.wait()
    assert any(n.startswith(f"tcpsim-{child.pid}-") for n in existing())
    with Namespace():
        pass
    assert not any(n.startswith(f"tcpsim-{child.pid}-") for n in existing())


def test_without_root_live_commands_say_what_needs_root_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(ns_module.os, "geteuid", lambda: 1000)
    for argv in (["capture", "-o", str(tmp_path / "x.pcap"), "--", "true"], ["live", "three_way_handshake"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "needs root" in err, err


# ------------------------------------------------------------------- live
LIVE_CASES = [
    ("three_way_handshake", "server"),
    ("three_way_handshake", "client"),
    ("data_transfer", "server"),
    ("data_transfer", "client"),
    ("graceful_close", "server"),
    ("graceful_close_server_first", "server"),
    ("half_close", "server"),
    ("half_close", "client"),
    ("rst_abort", "server"),
    ("rst_abort", "client"),
    ("lost_syn_ack", "server"),
    ("lost_data_retransmit", "server"),
    ("lost_data_retransmit", "client"),
    ("zero_window", "client"),
]


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize(("scenario", "kernel"), LIVE_CASES)
def test_linux_agrees_with_the_model_live(tmp_path, scenario, kernel):
    run = run_live(load(scenario), kernel, tmp_path / "live.pcapng", say=lambda line: None)
    text = "\n".join(report(run))
    assert agrees(run), text
    assert run.kernel_failure in (None, "connection reset by peer") and "verdict: Linux" in text


@pytest.mark.usefixtures("root_with_tools")
def test_live_lost_syn_ack_shows_linux_retransmitting_it_about_a_second_later(tmp_path):
    run = run_live(load("lost_syn_ack"), "server", tmp_path / "live.pcapng", say=lambda line: None)
    synacks = [c for c in run.crossings if c.from_kernel and c.segment.flags == Flags.SYN | Flags.ACK]
    assert synacks[0].dropped and not synacks[-1].dropped
    assert 0.5 < synacks[1].time - synacks[0].time < 1.5
    assert "timing: Linux resent SYN,ACK seq=0 after" in "\n".join(report(run))


@pytest.mark.usefixtures("root_with_tools")
def test_live_zero_window_names_linux_probes_instead_of_flagging_them(tmp_path):
    run = run_live(load("zero_window"), "client", tmp_path / "live.pcapng", say=lambda line: None)
    text = "\n".join(report(run))
    assert "zero-window probe carries no data" in text and "departs" not in text


@pytest.mark.usefixtures("root_with_tools")
def test_live_command_prints_segments_as_they_come_and_writes_a_checkable_pcapng(tmp_path, capsys):
    pcap, svg = tmp_path / "live.pcapng", tmp_path / "live.svg"
    assert main(["live", "graceful_close", "--pcap", str(pcap), "-o", str(svg)]) == 0
    out = capsys.readouterr().out
    assert "kernel (server)    <- SYN,ACK seq=0 ack=1   ✓ as the model predicted" in out
    assert "10 of 10 rows agree" in out and svg.read_text().startswith("<?xml")
    assert main(["check", str(pcap), "--brief"]) == 0


def test_live_refuses_an_endpoint_the_scenario_does_not_have(capsys):
    assert main(["live", "lost_syn_ack", "--kernel", "bob"]) == 2
    assert "endpoints are client, server" in capsys.readouterr().err


@pytest.mark.usefixtures("root_with_tools")
def test_the_readme_example_of_the_pytest_plugin_passes():
    example = Path(__file__).parent.parent / "examples" / "test_echo_server.py"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(example)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    assert "simulator.live.pytest_plugin" in [e.value for e in entry_points(group="pytest11")]


# ------------------------------------------------- differences, in words (no root needed)
def _row(captured, simulated):
    from simulator.capture.compare import Key, Row

    return Row(Key(*captured) if captured else None, Key(*simulated) if simulated else None)


KERNEL = "server -> client"


@pytest.mark.parametrize(
    ("captured", "simulated", "words"),
    [
        ((KERNEL, "PSH,ACK", 1, 1, 1000), (KERNEL, "ACK", 1, 1, 1000), "PSH placement"),
        (None, (KERNEL, "ACK", 1, 102, 0), "delayed ACK"),
        ((KERNEL, "ACK", 2000, 1, 0), (KERNEL, "ACK", 2001, 1, 1), "zero-window probe"),
        ((KERNEL, "ACK", 1, 1, 1448), (KERNEL, "ACK", 1, 1, 1000), "cut its data"),
        (("client -> server", "ACK", 1, 2, 0), None, "the model's answer"),
    ],
)
def test_a_choice_linux_makes_on_purpose_is_named_not_flagged(captured, simulated, words):
    from simulator.live.session import why_different

    assert words in why_different(_row(captured, simulated), KERNEL)


def test_a_segment_linux_repeats_because_two_timers_crossed_is_timing_not_a_departure():
    from simulator.live.session import why_different

    synack = (KERNEL, "SYN,ACK", 0, 1, 0)
    row = _row(synack, None)
    assert "timing" in why_different(row, KERNEL, sent_before=frozenset({row.captured}))
    assert why_different(row, KERNEL) is None  # a SYN,ACK never sent before is something else


@pytest.mark.parametrize(
    ("captured", "simulated"),
    [
        ((KERNEL, "RST,ACK", 1, 1, 0), (KERNEL, "FIN,ACK", 1, 1, 0)),  # a reset where a close was due
        ((KERNEL, "FIN,ACK", 1, 1, 0), None),  # a FIN the model never predicted
        ((KERNEL, "ACK", 1, 7001, 0), (KERNEL, "ACK", 1, 101, 0)),  # acknowledges other bytes
    ],
)
def test_a_real_difference_is_left_unexplained(captured, simulated):
    from simulator.live.session import why_different

    assert why_different(_row(captured, simulated), KERNEL, ack_limit=101) is None


@pytest.mark.usefixtures("root_with_tools")
def test_a_crash_in_the_middle_of_a_live_run_leaves_no_namespace_behind(tmp_path, monkeypatch):
    from simulator.live import kernel

    def crash(self, now):
        if now > 0.05:
            raise RuntimeError("a bug in the middle of the run")

    monkeypatch.setattr(kernel.KernelApp, "step", crash)
    with pytest.raises(RuntimeError, match="a bug"):
        run_live(load("three_way_handshake"), "server", tmp_path / "x.pcapng", say=lambda line: None)
    assert not [n for n in existing() if n.startswith(f"tcpsim-{os.getpid()}-")]


def test_without_root_the_message_gives_the_sudo_command_with_the_full_path(monkeypatch, tmp_path):
    """sudo resets PATH, so `sudo tcpsim` from a virtual environment finds no tcpsim: the message
    names the one that runs, by its full path, with the same arguments."""
    venv_tcpsim = tmp_path / "venv" / "bin" / "tcpsim"
    venv_tcpsim.parent.mkdir(parents=True)
    venv_tcpsim.write_text("")
    command = ns_module.sudo_command([str(venv_tcpsim), "live", "lost syn"])
    assert command == f"sudo {venv_tcpsim} live 'lost syn'"
    assert ns_module.sudo_command(["/usr/bin/python3", "-m", "pytest"]) == "root (sudo)"
