"""The `tcpsim check` command: standard input, Ctrl-C, exit status, worker processes, long and damaged captures."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from simulator import Flags, Options, Segment, SeqNum
from simulator.capture.checker import _WRAP, check, wrap
from simulator.capture.connections import read
from simulator.cli import main
from simulator.model.segment import NO_OPTIONS

from .captures import CLIENT, DATA, SERVER, close, handshake, seg, write
from .packets import ip_packet


# --------------------------------------------------------------- the command line
def test_a_capture_piped_in_on_standard_input_is_checked_like_a_file():
    # tcpdump -w - ... | tcpsim check -
    command = [sys.executable, "-m", "simulator", "check", "-", "--brief", "--jobs", "2"]
    done = subprocess.run(command, input=(DATA / "linux-loopback.pcap").read_bytes(), capture_output=True)
    assert done.returncode == 0, done.stderr
    summary = "standard input: 1 connection, 10 packets: 1 conforms to the model, 0 depart"
    assert done.stdout.decode().splitlines()[-1] == summary


def checking_a_pipe(presses: int) -> subprocess.CompletedProcess[str]:
    """``tcpsim check -`` fed a capture through a pipe that stays open, then Ctrl-C pressed ``presses``
    times once all of it is read, and the pipe closed (as tcpdump closes it on the same Ctrl-C)."""
    import fcntl
    import signal
    import termios
    import time

    command = [sys.executable, "-m", "simulator", "check", "-", "--brief"]
    checking = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert checking.stdin is not None
    checking.stdin.write((DATA / "linux-loopback.pcap").read_bytes())
    checking.stdin.flush()
    waiting = bytearray(4)
    for _ in range(500):  # until tcpsim has read all of it: it is then copying standard input, and waits for more
        fcntl.ioctl(checking.stdin.fileno(), termios.FIONREAD, waiting)
        if not int.from_bytes(waiting, sys.byteorder):
            break
        time.sleep(0.01)
    time.sleep(0.2)
    for _ in range(presses):
        checking.send_signal(signal.SIGINT)
        time.sleep(0.2)
    out, err = checking.communicate()  # closes the pipe
    return subprocess.CompletedProcess(command, checking.returncode, out.decode(), err.decode())


def test_ctrl_c_while_a_capture_is_piped_in_ends_the_capture_and_checks_it_instead_of_losing_it():
    # sudo tcpdump -i lo -w - port 8080 | tcpsim check -, then Ctrl-C: it stops tcpdump, which closes the pipe
    done = checking_a_pipe(presses=1)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "standard input: 1 connection, 10 packets: 1 conforms to the model, 0 depart"
    assert done.stderr == "tcpsim: reading the rest of the capture, then checking it (Ctrl-C again to stop)\n"


def test_ctrl_c_twice_while_a_capture_is_piped_in_stops_tcpsim():
    done = checking_a_pipe(presses=2)
    assert done.returncode == 130 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "tcpsim: reading the rest of the capture, then checking it (Ctrl-C again to stop)",
        "interrupted",
    ]


def test_standard_input_left_at_the_terminal_is_one_clear_error_not_a_wait():
    import os

    terminal, keyboard = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "simulator", "check", "-"], stdin=keyboard, capture_output=True)
    finally:
        os.close(terminal)
        os.close(keyboard)
    assert done.returncode == 2
    expected = "error: standard input is a terminal: pipe a capture in (tcpdump -w - ... | tcpsim check -)\n"
    assert done.stderr.decode() == expected


def test_check_exit_status_is_0_when_everything_conforms(capsys):
    assert main(["check", str(DATA / "linux-loopback.pcap")]) == 0
    out = capsys.readouterr().out
    assert "verdict: conforms to the model" in out
    assert out.rstrip().endswith("1 connection, 10 packets: 1 conforms to the model, 0 depart")


def test_check_exit_status_is_1_for_a_departure_and_json_names_it(tmp_path, capsys):
    path = write(tmp_path / "bad.pcap", [*handshake(), seg("A", 101, 9001), seg("A", 501, 101, back=True)])
    assert main(["check", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (conn,) = report["connections"]
    assert conn["conforms"] is False and conn["packets"][3]["departure"].startswith("ACK for data never sent")


@pytest.mark.parametrize("args", [["--connection", "2"], ["--port", "9"]])
def test_check_asked_for_a_connection_that_is_not_there_is_one_error_line(args):
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "check", str(DATA / "linux-loopback.pcap"), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    if args[0] == "--connection":  # and it says how many there are
        assert "no connection 2: it has 1 TCP connection, numbered from 1" in result.stderr


@pytest.mark.slow
def test_a_long_check_on_a_terminal_shows_progress_and_a_piped_one_does_not(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    from benchmarks.capture_import import make_capture

    path = tmp_path / "big.pcap"
    make_capture(path, 40_000)
    child = pexpect.spawn(
        sys.executable, ["-m", "simulator", "check", str(path), "--brief"], dimensions=(24, 100), timeout=120
    )
    child.expect("checking")
    child.expect("packets")
    child.expect(pexpect.EOF)
    piped = subprocess.run(
        [sys.executable, "-m", "simulator", "check", str(path), "--brief"], capture_output=True, text=True
    )
    assert "checking" not in piped.stdout and piped.returncode == 0
    assert piped.stdout.rstrip().endswith("4000 connections, 40000 packets: 4000 conform to the model, 0 depart")


@pytest.mark.slow
def test_a_late_packet_after_its_connection_was_reported_goes_to_the_connection_that_replaced_it(tmp_path):
    from benchmarks.capture_import import write_raw_pcap
    from simulator.capture.checker import check_capture
    from simulator.capture.connections import Tally

    def at(seconds: float, segment: Segment) -> tuple[int, int, bytes]:
        return int(seconds), round(seconds % 1 * 1e6), ip_packet(segment)

    def filler(start: float, count: int) -> list[tuple[int, int, bytes]]:  # another connection's ACKs
        ack = Segment(41000, 80, SeqNum(7), SeqNum(9), Flags.parse("A"), 65535, NO_OPTIONS, b"", CLIENT[0], SERVER[0])
        return [at(start + n / 10_000, ack) for n in range(count)]

    old = [at(n / 10, segment) for n, segment in enumerate([*handshake(), *close()])]
    new = [at(3 + n / 10, segment) for n, segment in enumerate([seg("S", 5000), seg("SA", 9000, 5001, back=True)])]
    # the first 1,024 packets end before the old connection is 5 s (LINGER) past its last packet, the next 1,024
    # after: it is reported at packet 2,048 (a sweep), and its copy of a FIN comes 0.4 s later
    records = old + new + filler(0.7, 1024 - 8) + filler(5.6, 1024) + [at(6.0, seg("FA", 501, 102, back=True))]
    path = tmp_path / "late.pcap"
    write_raw_pcap(path, sorted(records, key=lambda r: r[:2]))
    connections = {r.number: [p.number for p in r.packets] for r in check_capture(path, Tally())}
    assert sorted(connections) == [1, 2, 3]  # reported once each: the late copy made no second report of the first
    assert len(connections[1]) == 6 and connections[3] == [1023, 1024, 2049]  # it went to the SYN's connection


def test_check_streams_reporting_closed_connections_before_the_capture_ends(tmp_path):
    from benchmarks.capture_import import make_capture
    from simulator.capture.checker import check_capture
    from simulator.capture.connections import Tally

    path = tmp_path / "long.pcap"
    make_capture(path, 80_000)  # 8,000 short connections over 8 seconds of capture time
    tally = Tally()
    seen_when_reported = []
    numbers = []
    for report in check_capture(path, tally):
        seen_when_reported.append(tally.packets)
        numbers.append(report.number)
        assert report.conforms and report.zeek_state == "SF"
    assert sorted(numbers) == list(range(1, 8001))
    # the first connection is reported once the capture is LINGER (5 s) past it: at about packet 50,000 of 80,000
    assert seen_when_reported[0] < 60_000


@pytest.mark.parametrize("options", [["--brief"], [], ["--json"], ["--port", "5000", "--brief"], ["--connection", "7"]])
@pytest.mark.slow
def test_several_worker_processes_print_exactly_what_one_prints(tmp_path, options):
    from benchmarks.capture_import import make_capture

    path = tmp_path / "many.pcap"
    make_capture(path, 20_000)  # 2,000 connections, some reported mid-file, some at the end
    outputs = [
        subprocess.run(
            [sys.executable, "-m", "simulator", "check", str(path), "--jobs", jobs, *options],
            capture_output=True,
            text=True,
        )
        for jobs in ("1", "2", "3")
    ]
    assert outputs[0].stdout
    for other in outputs[1:]:
        assert (other.returncode, other.stdout, other.stderr) == (
            outputs[0].returncode,
            outputs[0].stdout,
            outputs[0].stderr,
        )


def reused_ports_capture(path: Path, rounds: int = 60) -> Path:
    """Connections interleaved on 24 4-tuples, each reused round after round with a new ISN, half a
    second apart (so some are reported mid-file, LINGER after they close), a few of them left open
    to the end or reset, and packets that are not TCP between them: what a worker's share of the
    connections must number and order exactly as one process does."""
    from benchmarks.capture_import import write_raw_pcap

    def raw(tuple_: int, flags: str, seq: int, ack: int, back: bool, data: bytes = b"") -> bytes:
        client, server = (f"10.0.{tuple_ % 3}.{tuple_}", 40000 + tuple_ % 5), ("10.9.9.9", 80 + tuple_ % 2)
        src, dst = (server, client) if back else (client, server)
        return ip_packet(
            Segment(
                src[1], dst[1], SeqNum(seq), SeqNum(ack), Flags.parse(flags), 65535, NO_OPTIONS, data, *(src[0], dst[0])
            )
        )

    udp = bytes.fromhex("4500001c000000004011000009090909090909090035003500080000")
    records, tick = [], 0
    for r in range(rounds):
        for t in range(24):
            if r > 1 and t in (5, 7):
                continue  # their last connections stay open to the end of the capture
            isn, peer = 1000 * r + t, 7000 * r + t
            conversation = [
                raw(t, "S", isn, 0, False),
                raw(t, "SA", peer, isn + 1, True),
                raw(t, "A", isn + 1, peer + 1, False),
                raw(t, "PA", isn + 1, peer + 1, False, b"hi"),
            ]
            if (r, t) in ((1, 5), (1, 7)):
                pass  # left open
            elif t % 7 == 3:
                conversation.append(raw(t, "R", isn + 3, 0, False))
            else:
                conversation += [raw(t, "FA", peer + 1, isn + 3, True), raw(t, "FA", isn + 3, peer + 2, False)]
                conversation.append(raw(t, "A", peer + 2, isn + 4, True))
            for n, frame in enumerate(conversation):
                records.append((tick + n * 7 + t, frame))
        records.append((tick + 1, udp))
        tick += 500_000  # half a second
    records.sort(key=lambda record: record[0])
    write_raw_pcap(path, ((when // 1_000_000, when % 1_000_000, frame) for when, frame in records))
    return path


@pytest.mark.parametrize("options", [["--brief"], ["--json"], ["--port", "80"], ["--absolute"]])
@pytest.mark.slow
def test_workers_number_and_order_reused_and_interleaved_connections_as_one_process_does(tmp_path, options):
    path = reused_ports_capture(tmp_path / "reused.pcap")
    one, *more = (
        subprocess.run(
            [sys.executable, "-m", "simulator", "check", str(path), "--jobs", jobs, *options],
            capture_output=True,
            text=True,
        )
        for jobs in ("1", "2", "3", "4")
    )
    assert one.returncode == 0, one.stderr
    if "--port" not in options:
        assert "1324 connections, 8902 packets: 1324 conform" in one.stdout
    if "--brief" in options:  # 3 of the 24 4-tuples end in a RST, in each of the 60 rounds
        assert one.stdout.count("Zeek state RSTO") == 3 * 60 and "connection 1322: " in one.stdout
    for other in more:
        assert (other.returncode, other.stdout, other.stderr) == (one.returncode, one.stdout, one.stderr)


def test_the_jobs_help_says_how_many_workers_and_from_what_size_a_check_uses_by_itself(capsys):
    from simulator.capture.checkpool import MOST_WORKERS, PARALLEL_FROM

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"one per core, up to {MOST_WORKERS}, for a capture of {PARALLEL_FROM // 1_000_000} MB or more" in help_text


def test_a_damaged_capture_is_checked_up_to_the_damage_then_one_error_line(tmp_path):
    from benchmarks.capture_import import make_capture

    path = tmp_path / "cut.pcap"
    make_capture(path, 5_000)
    path.write_bytes(path.read_bytes()[:-30])  # the last packet is cut short
    one, two = (
        subprocess.run(
            [sys.executable, "-m", "simulator", "check", str(path), "--jobs", jobs], capture_output=True, text=True
        )
        for jobs in ("1", "2")
    )
    assert two.returncode == 2 and two.stderr.count("\n") == 1 and "truncated" in two.stderr
    # no work is lost: every connection before the damage is checked and reported, then the error
    assert "the 500 connections before it are checked above" in two.stderr
    assert two.stdout.endswith("500 connections, 4999 packets: 500 conform to the model, 0 depart\n")
    assert (one.returncode, one.stdout, one.stderr) == (two.returncode, two.stdout, two.stderr)


@given(
    st.lists(
        st.text(alphabet="ab1(.,:;-=)\u2026", min_size=1, max_size=9)
        | st.text(alphabet="ab", min_size=80, max_size=95)
        | st.sampled_from(["", " ", "\n", "x\ty"]),
        min_size=1,
        max_size=80,
    )
)
@example(["x" * 44, "y" * 44, "z" * 43, "w" * 43, "v"])  # lines exactly as wide as they may be: 89, then 87
def test_the_report_wraps_sentences_exactly_as_textwrap_does(words):
    text = " ".join(words)
    assert wrap(text) == _WRAP.wrap(text)


def long_transfer(path: Path, segments: int, size: int, *, scale: int | None = None) -> Path:
    """One connection carrying ``segments`` data segments of ``size`` bytes (cut by the snap length to
    their headers, so a capture of gigabytes stays small), an ACK for every second one, then a close."""
    options = Options(wscale=scale) if scale is not None else NO_OPTIONS
    opening = [seg("S", 100, options=options), seg("SA", 500, 101, back=True, options=options), seg("A", 101, 501)]
    data, ack = ip_packet(seg("PA", 0, 501, b"x" * size))[:40], ip_packet(seg("A", 501, 0, back=True))
    records = [(raw, len(raw)) for raw in map(ip_packet, opening)]
    seq = 101
    for i in range(segments):
        records.append((data[:24] + struct.pack("!I", seq % 2**32) + data[28:], 40 + size))
        seq += size
        if i % 2:
            records.append((ack[:28] + struct.pack("!I", seq % 2**32) + ack[32:], len(ack)))
    records += [(raw, len(raw)) for raw in map(ip_packet, close(seq % 2**32))]
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 96, 101)]
    out += [struct.pack("<IIII", 0, i, len(raw), wire) + raw for i, (raw, wire) in enumerate(records)]
    path.write_bytes(b"".join(out))
    return path


@pytest.mark.slow
def test_a_transfer_of_more_than_2_gb_wraps_its_sequence_numbers_and_still_conforms(tmp_path, capsys):
    # 34,000 segments of 65,000 bytes: 2.2 GB, more than half the sequence space (RFC 1982), so an ACK
    # compared with the sender's last sequence number, not one near it, would look like one for data never sent
    path = long_transfer(tmp_path / "big.pcap", 34_000, 65_000, scale=7)
    assert main(["check", str(path), "--brief", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 connection, 51006 packets: 1 conforms to the model" in out
    # relative numbers keep counting up past 2**31, as Wireshark shows them
    assert "FIN,ACK seq=2210000001 ack=1 " in out and "ACK seq=1 ack=2210000002 " in out


def test_a_long_connection_is_held_as_a_window_of_packets_and_its_reports_go_to_a_file(tmp_path):
    from simulator.capture.checker import ConnectionChecker
    from simulator.capture.spool import Spool

    (conn,) = read(long_transfer(tmp_path / "long.pcap", 1_000, 1_000)).connections
    checker = ConnectionChecker(conn, horizon=50, spool_from=50)
    for p in conn.packets:
        checker.add(p)
        assert len(checker.waiting) < 2 * 50
    assert isinstance(checker.reports, Spool) and len(checker.reports) > 1_000
    spooled = checker.finish()
    assert list(spooled.packets) == list(check(conn).packets) and spooled.conforms
    assert list(spooled.packets) == list(spooled.packets)  # the file is read again from its start


@pytest.mark.parametrize("options", [["--brief"], [], ["--json"], ["--absolute", "--brief"]])
def test_a_long_connection_checked_in_a_window_prints_what_a_whole_one_does(tmp_path, capsys, monkeypatch, options):
    import simulator.capture.checker.capture

    paths = [str(long_transfer(tmp_path / "long.pcap", 400, 1_000)), str(DATA / "linux-zero-window.pcap")]
    whole = []
    for path in paths:
        main(["check", path, "--jobs", "1", *options])
        whole.append(capsys.readouterr().out)
    monkeypatch.setattr(simulator.capture.checker.capture, "HORIZON", 40)  # and reports to a file after 40
    for path, expected in zip(paths, whole, strict=True):
        for jobs in ("1", "2"):
            main(["check", path, "--jobs", jobs, *options])
            assert capsys.readouterr().out == expected


def test_a_spool_gives_back_what_went_in_across_blocks_and_keeps_the_few_it_is_asked_to(monkeypatch):
    from simulator.capture.spool import Spool

    monkeypatch.setattr(Spool, "BLOCK", 3)
    spool: Spool[tuple[int, str]] = Spool(lambda item: item, tuple, keep=lambda item: item[0] % 4 == 0)
    items = [(n, "x" * n) for n in range(10)]
    spool.extend(items)
    assert list(spool) == items and list(spool) == items and len(spool) == 10
    spool.append((10, "y"))
    assert list(spool) == [*items, (10, "y")] and spool.kept == [(0, ""), (4, "xxxx"), (8, "x" * 8)]
    spool.close()


def test_no_room_for_a_long_connections_report_is_one_clear_error(tmp_path, capsys, monkeypatch):
    import errno
    import tempfile

    import simulator.capture.checker.capture

    def no_room(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    path = long_transfer(tmp_path / "long.pcap", 400, 1_000)
    monkeypatch.setattr(simulator.capture.checker.capture, "HORIZON", 40)
    monkeypatch.setattr(tempfile, "TemporaryFile", no_room)
    assert main(["check", str(path), "--jobs", "1"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "temporary file (No space left on device); point TMPDIR" in error


def test_one_connection_before_the_damage_is_counted_in_the_singular(tmp_path, capsys):
    path = tmp_path / "cut.pcap"
    path.write_bytes((DATA / "linux-loopback.pcap").read_bytes()[:300])  # three whole packets, then a cut
    assert main(["check", str(path), "--brief"]) == 2
    assert capsys.readouterr().err.endswith("; the 1 connection before it is checked above\n")
