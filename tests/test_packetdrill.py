"""The packetdrill runner: the language it reads and the verdicts it gives."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.conformance.packetdrill import RunOptions, ScriptError, parse, parse_options, parse_packet, run_script

SERVER = """
--tolerance_usecs=10000
0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32767 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 32767
+0 accept(3, ..., ...) = 4
+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%
+0 < P. 1:6(5) ack 1 win 32767
+0 > . 1:1(0) ack 6
+0 read(4, ..., 100) = 5
+0 close(4) = 0
+0 > F. 1:1(0) ack 6
+.1 < F. 6:6(0) ack 2 win 32767
+0 > . 2:2(0) ack 7
"""

CLIENT_RETRANSMITS = """
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+1 > S 0:0(0) <...>
+2 > S 0:0(0) <...>
+0.5 < S. 0:0(0) ack 1 win 5000 <mss 1000>
+0 > . 1:1(0) ack 1
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
"""


def run(tmp_path, text, **options):
    path = tmp_path / "t.pkt"
    path.write_text(text)
    return run_script(path, RunOptions(**options))


def test_a_server_script_passes(tmp_path):
    result = run(tmp_path, SERVER)
    assert result.status == "pass", result.message


def test_time_is_virtual_and_retransmissions_follow_the_rto(tmp_path):
    result = run(tmp_path, CLIENT_RETRANSMITS, profile="rfc")  # RFC 6298 5.5: the RTO doubles
    assert result.status == "pass", result.message


def test_linux_resends_a_syn_at_the_initial_rto_before_backing_off(tmp_path):
    # tcp_syn_linear_timeouts (Linux 6.5+): the first retransmissions of a SYN keep the 1 s RTO
    result = run(tmp_path, CLIENT_RETRANSMITS.replace("+2 > S", "+1 > S"))
    assert result.status == "pass", result.message
    assert run(tmp_path, CLIENT_RETRANSMITS).status == "fail"


def test_a_wrong_flag_is_reported_with_the_line_and_both_segments(tmp_path):
    result = run(tmp_path, SERVER.replace("+0 > . 1:1(0) ack 6", "+0 > F. 1:1(0) ack 6"))
    assert result.status == "fail"
    assert result.line == 13
    assert "expected F. 1:1(0) ack 6, but the model sent . 1:1(0) ack 6" in result.message
    assert "the flags are ., not F." in result.message


@pytest.mark.parametrize(
    ("script", "old", "new", "status", "message"),
    [
        (SERVER, "+0 > . 1:1(0) ack 6", "+0 > . 1:1(0) ack 5", "fail", "it acknowledges 6, not 5"),
        (SERVER, "+0 > . 1:1(0) ack 6\n", "", "fail", "expected F. 1:1(0) ack 6, but the model sent . 1:1(0) ack 6"),
        (SERVER, "+0 > . 1:1(0) ack 6\n+0 read", "+.5 read", "fail", "which the script does not expect"),
        (SERVER, "+0 > . 2:2(0) ack 7\n", "+0 > . 2:2(0) ack 7\n+1 > . 2:2(0) ack 7\n", "fail", "but it sent nothing"),
        (CLIENT_RETRANSMITS, "+1 > S", "+1.5 > S", "fail", "tolerance"),
        (
            SERVER,
            "read(4, ..., 100) = 5",
            "read(4, ..., 100) = 4",
            "fail",
            "read() returned 5, but the script expects 4",
        ),
        (SERVER, "TCPI_ESTABLISHED", "TCPI_CLOSE_WAIT", "fail", "in ESTABLISHED, the script asserts CLOSE-WAIT"),
        (SERVER, "+0 read(4, ..., 100) = 5", "+0 sendfile(4, 5, NULL, 10) = 10", "needs-feature", "sendfile"),
    ],
    ids=[
        "wrong ack",
        "unexpected segment",
        "segment long before its line",
        "missing segment",
        "late segment",
        "return value",
        "state",
        "unknown call",
    ],
)
def test_a_script_that_does_not_hold_says_why(tmp_path, script, old, new, status, message):
    assert old in script
    result = run(tmp_path, script.replace(old, new))
    assert result.status == status
    assert message in result.message


def test_shell_commands_and_python_are_skipped_and_counted(tmp_path):
    text = SERVER.replace("+0 close(4) = 0", "+0 `echo hello`\n+0 %{ print(tcpi_rtt) }%\n+0 close(4) = 0")
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert result.skipped == 2


def test_an_unreadable_script_is_an_error_not_a_crash(tmp_path):
    result = run(tmp_path, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\nthis is not packetdrill\n")
    assert result.status == "error"
    assert "line 2" in result.message


def test_ifdef_follows_the_profile(tmp_path):
    text = SERVER + "#ifdef FreeBSD\n+1 > . 2:2(0) ack 7\n#endif\n"
    assert run(tmp_path, text, profile="linux").status == "pass"
    assert run(tmp_path, text, profile="freebsd").status == "fail"


def test_rfc5961_is_a_profile_choice(tmp_path):
    syn_in_window = SERVER.replace(
        "+0 close(4) = 0\n+0 > F. 1:1(0) ack 6\n+.1 < F. 6:6(0) ack 2 win 32767\n+0 > . 2:2(0) ack 7\n",
        "+0 < S 10:10(0) win 32767\n",
    )
    challenge = syn_in_window + "+0 > . 1:1(0) ack 6\n"
    reset = syn_in_window + "+0 > R 1:1(0)\n"
    assert run(tmp_path, challenge, profile="linux").status == "pass"
    assert run(tmp_path, reset, profile="rfc").status == "pass", run(tmp_path, reset, profile="rfc").message


def test_the_parser_reads_every_kind_of_time():
    script = parse("0.5 close(3) = 0\n+ 0.25 close(3) = 0\n* > S 0:0(0)\n1.0...6.0 connect(3, ..., ...) = 0\n")
    times = [(line.relative, line.time, line.end) for line in script.lines]
    assert times == [(False, 0.5, None), (True, 0.25, None), (False, None, None), (False, 1.0, 6.0)]


def test_a_time_range_may_be_written_with_a_tilde():
    # packetdrill's newer spelling of a range: +.3~+.303 is +.3...+.303
    (line,) = parse("+.3~+.303 close(3) = 0\n").lines
    assert (line.relative, line.time, line.end) == (True, 0.3, 0.303)


def test_untimed_commands_before_the_first_event_and_after_the_last_are_the_environment(tmp_path):
    # packetdrill's grammar: script = options, init command, events, cleanup command; Linux's own tests
    # all begin with `../common/defaults.sh`, here over several lines as some of them write it
    text = "--tolerance_usecs=10000\n`../common/defaults.sh\n ../common/set_sysctls.py x=1\n`\n" + SERVER
    text += "`echo cleanup`\n"
    script = parse(text)
    assert script.init == "`../common/defaults.sh ../common/set_sysctls.py x=1 `"
    assert script.cleanup == "`echo cleanup`"
    result = run(tmp_path, text)
    assert result.status == "pass" and result.environment["init or cleanup command"] == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 close(3) = 0\n`one`\n0 close(4) = 0\n", "line 2: an untimed command must start or end the script"),
        ("`one\n0 close(3) = 0\n", "ends inside a back-quoted command"),
        ("`one`\n0 close(3) = 0\n`two`\n`three`\n", "line 4: only one untimed command may end a script"),
    ],
)
def test_an_untimed_command_anywhere_else_is_the_scripts_error(text, message):
    with pytest.raises(ScriptError, match=message):
        parse(text)


def test_a_line_may_run_over_several_until_its_brackets_and_quotes_close():
    text = (
        "+0.1 recvmsg(4, {msg_name(...)=...,\n   msg_iov(1)=[{...,0}],\n   msg_flags=0}, 0) = 0\n"
        "+0 `sysctl -q a=1\n   sysctl -q b=2`\n"
        "+0 %{\nassert tcpi_state == TCPI_ESTABLISHED\n}%\n"
    )
    call, command = parse("0 close(3) = 0\n" + text).lines[1:3]
    assert (call.number, call.time) == (2, 0.1) and call.text.endswith("msg_flags=0}, 0) = 0")
    assert command.kind == "shell" and command.text == "`sysctl -q a=1 sysctl -q b=2`"
    with pytest.raises(ScriptError, match="line 1: the script ends inside this call's arguments"):
        parse("0 recvmsg(4, {msg_name(...)=...,\n")


def test_a_packet_may_carry_no_flags_and_sack_blocks():
    spec = parse_packet("< - 1:1001(1000) win 20000", 1)
    assert spec.flags == 0 and spec.length == 1000
    assert parse_options("nop,nop,sack 1001:2001 3001:4001").sack_blocks == ((1001, 2001), (3001, 4001))


def test_the_fast_open_option_is_read_as_a_cookie_or_a_request():
    from simulator.model.segment import FastOpen

    assert parse_options("FO").fastopen == FastOpen(b"")
    assert parse_options("nop,FOEXP TFO_COOKIE").fastopen == FastOpen(bytes.fromhex("3021b9d889017eeb"), True)


def test_a_fast_open_server_script_passes_with_the_cookie_for_packetdrills_addresses(tmp_path):
    script = (
        "`sysctl -q net.ipv4.tcp_fastopen=0x402 net.ipv4.tcp_fastopen_key=a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4`\n"
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
        "+0 < S 0:10(10) win 32792 <mss 1460,sackOK,nop,nop,FO 3021b9d889017eeb>\n"
        "+0 > S. 0:0(0) ack 11 <...>\n+0 accept(3, ..., ...) = 4\n+0 read(4, ..., 512) = 10\n"
    )
    result = run(tmp_path, script)
    assert result.status == "pass", result.message


@pytest.mark.parametrize(("option", "feature"), [("md5 00ff", "MD5")])
def test_an_option_the_model_does_not_have_makes_the_script_not_applicable(tmp_path, option, feature):
    script = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
        f"+0 < S 0:0(0) win 32792 <mss 1460,{option}>\n"
    )
    result = run(tmp_path, script)
    assert result.status == "needs-feature" and feature in result.feature


def test_the_parser_resolves_ifdef_and_comments():
    text = "// a comment\n#ifdef A\n0 close(3) = 0 // trailing\n#else\n0 close(4) = 0\n#endif\n"
    assert [line.text for line in parse(text, defines=frozenset({"A"})).lines] == ["close(3) = 0"]
    assert [line.text for line in parse(text).lines] == ["close(4) = 0"]
    with pytest.raises(ScriptError, match="no #endif"):
        parse("#ifdef A\n")


def test_packets_and_options_are_read():
    spec = parse_packet("> S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>", 1)
    assert (spec.start, spec.length, spec.ack, spec.window) == (0, 0, 1, 65535)
    opts = parse_options(spec.options or "")
    assert (opts.mss, opts.wscale, opts.sack_permitted, opts.timestamps) == (1460, 6, True, (100, 0))
    assert parse_packet("> S. ...(0) ack 5", 1).start is None


def test_the_cli_prints_a_summary_and_exits_1_on_failure(tmp_path):
    good = tmp_path / "good.pkt"
    good.write_text(SERVER)
    bad = tmp_path / "bad.pkt"
    bad.write_text(SERVER.replace("ack 6\n+0 read", "ack 5\n+0 read"))
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "packetdrill", str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "FAIL" in out.stdout and "(50.0% pass)" in out.stdout
    assert re.search(r"^total +1 +1 +0 +0 +0 +2 ", out.stdout, re.MULTILINE), out.stdout
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "simulator", "packetdrill", str(good), "--json"], capture_output=True, text=True
        ).stdout
    )
    assert data["results"][0]["status"] == "pass"
    missing = subprocess.run(
        [sys.executable, "-m", "simulator", "packetdrill", "nope.pkt"], capture_output=True, text=True
    )
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------ outcomes, apart and honest
HANDSHAKE = """
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32767 <mss 1460>
+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 32767
+0 accept(3, ..., ...) = 4
"""


def test_a_script_whose_every_check_was_skipped_is_vacuous_not_a_pass(tmp_path):
    setup_only = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 %{ print(tcpi_rtt) }%\n"
    result = run(tmp_path, setup_only)
    assert result.status == "vacuous" and result.checks == 0
    assert run(tmp_path, HANDSHAKE).status == "pass"


@pytest.mark.parametrize(
    ("line", "feature"),
    [
        ("+0 %{ assert tcpi_sndbuf_limited == 0 }%", "TCP_INFO tcpi_sndbuf_limited"),
        ("+0 < icmp unreachable frag_needed mtu 800", "ICMP"),
        ("+0 < udp (1000)", "UDP"),
        ("+0 < ipv4 192.0.2.2 > 192.0.2.1: gre: . 1:1(0) ack 1 win 32767", "tunnels"),
        ("+0 > (tos 0x4) . 1:1(0) ack 1", "IP header fields"),
        ("+0 write(4, ..., 100) = 100\n+0 > (ttl 64) P. 1:101(100) ack 1", "IP header fields"),
        ("+0 write(4, ..., 100000) = 50000", "send buffer"),
        ("+0 eventfd(0, 0) = 5", "the system call eventfd()"),
        ("+0 pipe([5, 6]) = 0", "the system call pipe()"),
        ("+0 setsockopt(4, SOL_SOCKET, SO_BOGUS, [1], 4) = 0", "the socket option SO_BOGUS"),
        ("+0 getsockopt(4, SOL_SOCKET, SO_BOGUS, [1], [4]) = 0", "the socket option SO_BOGUS"),
        ("+0 ioctl(4, SIOCBOGUS, [1]) = 0", "the ioctl SIOCBOGUS"),
    ],
)
def test_what_the_model_lacks_is_named_not_failed(tmp_path, line, feature):
    result = run(tmp_path, HANDSHAKE + line + "\n")
    assert result.status == "needs-feature", result.message
    assert feature in result.feature and result.line is not None


def test_a_buffer_beyond_64_kb_needs_window_scaling_which_only_the_simple_profile_lacks(tmp_path):
    line = "+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [1000000], 4) = 0\n"
    result = run(tmp_path, HANDSHAKE + line, profile="simple")
    assert result.status == "needs-feature" and "SO_RCVBUF" in result.feature, result.message
    assert run(tmp_path, HANDSHAKE + line).status == "pass"


def test_descriptors_are_the_scripts_own_as_packetdrill_maps_them(tmp_path):
    text = HANDSHAKE.replace("= 3", "= 7").replace("(3,", "(7,").replace("= 4", "= 9")
    text += "+0 < P. 1:6(5) ack 1 win 32767\n+0 > . 1:1(0) ack 6\n+0 read(9, ..., 100) = 5\n"
    result = run(tmp_path, text)
    assert result.status == "pass", result.message


def test_a_blocking_call_returns_when_the_model_completes_it_not_at_the_next_line(tmp_path):
    # accept() blocks from t=0 until the handshake's last ACK at t=0.2, whatever comes after
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
        "+0...0.200 accept(3, ..., ...) = 4\n+.1 < S 0:0(0) win 32767 <mss 1460>\n+0 > S. 0:0(0) ack 1 <...>\n"
        "+.1 < . 1:1(0) ack 1 win 32767\n+.3 close(4) = 0\n+0 > F. 1:1(0) ack 1\n"
    )
    assert run(tmp_path, text).status == "pass", run(tmp_path, text).message
    late = text.replace("+0...0.200 accept", "+0...0.500 accept")
    assert "accept() returned at t=0.200 s, but the script expects t=0.500 s" in run(tmp_path, late).message


def test_a_last_blocking_line_returns_when_the_model_gives_up(tmp_path):
    # two SYNs (RTO 1 s, then 2 s) and connect() fails at t=3 s; nothing follows it in the script
    text = (
        "`sysctl -q net.ipv4.tcp_syn_retries=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
        "+0...3 connect(3, ..., ...) = -1 ETIMEDOUT\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert result.settings == {"net.ipv4.tcp_syn_retries": "1"}


def test_peek_leaves_the_data_and_shut_rd_ends_reading(tmp_path):
    text = HANDSHAKE + (
        "+0 < P. 1:6(5) ack 1 win 32767\n+0 > . 1:1(0) ack 6\n+0 ioctl(4, SIOCINQ, [5]) = 0\n"
        "+0 recv(4, ..., 100, MSG_PEEK) = 5\n+0 ioctl(4, SIOCINQ, [5]) = 0\n+0 read(4, ..., 100) = 5\n"
        "+0 shutdown(4, SHUT_RD) = 0\n+0 read(4, ..., 100) = 0\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert "SIOCINQ is 0, but the script expects 5" in run(tmp_path, text.replace("MSG_PEEK", "0")).message


def test_tcp_maxseg_sets_the_mss_the_syn_offers(tmp_path):
    text = (
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_MAXSEG, [1100], 4) = 0\n"
        "+0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0\n"
        "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS\n"
        "+0 > S 0:0(0) <mss 1100>\n"
    )
    result = run(tmp_path, text, compare_options=True, profile="simple")  # the MSS option alone
    assert result.status == "pass", result.message


def test_tcp_info_assertions_are_evaluated_over_the_models_values(tmp_path):
    good = HANDSHAKE + "+0 %{ assert tcpi_state == TCP_ESTABLISHED and tcpi_snd_mss == 1460, tcpi_state }%\n"
    assert run(tmp_path, good).status == "pass", run(tmp_path, good).message
    bad = HANDSHAKE + "+0 %{ assert tcpi_snd_mss == 1000, tcpi_snd_mss }%\n"
    assert "tcpi_snd_mss=1460" in run(tmp_path, bad).message


def test_known_sysctls_become_settings_and_the_rest_is_environment(tmp_path):
    helper = tmp_path / "defaults.sh"
    helper.write_text(
        '# set up\nsysctl -q net.ipv4.tcp_timestamps=1\nsysctl -q net.ipv4.tcp_rmem="4096 $((2*1024)) 8192"\n'
    )
    result = run(tmp_path, "`./defaults.sh\nsysctl -q net.ipv4.tcp_sack=0`\n" + HANDSHAKE)
    assert result.settings == {"net.ipv4.tcp_timestamps": "1", "net.ipv4.tcp_sack": "0"}
    assert result.environment["sysctl net.ipv4.tcp_rmem"] == 1
    bad = run(tmp_path, HANDSHAKE + "+0 `sysctl -q net.ipv4.tcp_syn_retries=1000`\n")
    assert bad.status == "error" and bad.line == 9 and "syn_retries" in bad.message


def test_a_sysctl_command_continued_on_the_next_line_is_read_whole(tmp_path):
    text = "`set_sysctls.py /proc/sys/net/ipv4/tcp_sack=0 \\\n\t/proc/sys/net/ipv4/tcp_min_tso_segs=10`\n" + HANDSHAKE
    result = run(tmp_path, text)
    assert result.settings == {"net.ipv4.tcp_sack": "0", "net.ipv4.tcp_min_tso_segs": "10"}


def test_a_runaway_script_ends_as_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr("simulator.conformance.packetdrill.MAX_EVENTS", 5)
    result = run(tmp_path, CLIENT_RETRANSMITS)
    assert result.status == "error" and "runaway" in result.message
    monkeypatch.undo()
    # a timer that fires and fires at the same instant: no progress, stopped long before the event budget
    monkeypatch.setattr("simulator.model.endpoint.Endpoint.next_timer", lambda self: 0.5)
    monkeypatch.setattr("simulator.model.endpoint.Endpoint.on_timer", lambda self, now: None)
    stuck = run(tmp_path, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+1 close(3) = 0\n")
    assert stuck.status == "error" and "no progress" in stuck.message and stuck.line == 2
    monkeypatch.undo()
    far = run(tmp_path, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+99999999 close(3) = 0\n")
    assert far.status == "error" and "line 2" in far.message


# Ways a script goes wrong: each must end as that script's own outcome, never a traceback or a hang.
_MALFORMED = st.sampled_from(
    [
        "",
        "`",
        "(",
        "{",
        "%{",
        "}%",
        "~",
        "-",
        "<",
        ">",
        "\x00\xff\x7f",
        "9" * 400,
        "-" + "9" * 30,
        "1e999",
        "--mtu=0\n",
        "#ifdef Linux\n",
        "#endif\n",
        "#else\n",
        "+0 write(4) = 1\n",
        "+0 read() = 0\n",
        "+0 setsockopt(4) = 0\n",
        "+0 poll([{fd=4, events=POLLIN}], 1, 99999999999) = 1\n",
        "+0 < S 0:0(0) win 99999999 <mss 0,wscale 99>\n",
        "+0 < S 0:99999999999(99999999999) win 1\n",
        "+0 write(4, ..., 999999999999) = 1\n",
        "+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [-5], 4) = 0\n",
        "+0 `sysctl -q net.ipv4.tcp_syn_retries=-1`\n",
        "+0 %{ assert 1 << 99999999 }%\n",
        "+0 %{ assert tcpi_state ==\n",
        "* > . 1:1(0) ack 1\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(SERVER) + len(CLIENT_RETRANSMITS)),
    junk=_MALFORMED,
    tail=st.booleans(),
)
def test_a_malformed_script_is_its_own_error_never_a_crash(tmp_path_factory, cut, junk, tail):
    # truncated lines, stray brackets and back-quotes, wrong argument counts, binary junk, huge and
    # negative numbers, unbalanced #ifdef, unterminated blocks: a result, never a traceback or a hang
    text = SERVER + CLIENT_RETRANSMITS
    text = text[:cut] + junk + (text[cut:] if tail else "")
    path = tmp_path_factory.mktemp("fuzz") / "t.pkt"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    result = run_script(path, RunOptions())
    assert result.status in ("pass", "fail", "error", "needs-feature", "vacuous")
    assert "could not run" not in result.message  # the batch boundary's catch-all: a bug in the runner
    if result.status == "error":
        assert result.line is not None, result.message


def test_a_batch_of_broken_scripts_is_one_complete_json_document(tmp_path):
    for i, junk in enumerate(
        ["\x00\xff", "#ifdef A\n", "0 write(", "0 socket(..., SOCK_STREAM, 0) = 3\n+1e9 close(3) = 0"]
    ):
        (tmp_path / f"s{i}.pkt").write_bytes((SERVER + junk).encode("utf-8", "surrogateescape"))
    (tmp_path / "good.pkt").write_text(SERVER)
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "packetdrill", str(tmp_path), "--json"], capture_output=True, text=True
    )
    data = json.loads(out.stdout)
    assert len(data["results"]) == 5 and out.stderr == ""
    assert data["totals"] == {"pass": 1, "fail": 0, "error": 4, "needs-feature": 0, "vacuous": 0}
    assert sorted(r["status"] for r in data["results"]) == ["error", "error", "error", "error", "pass"]


def test_poll_answers_at_once_waits_for_data_and_times_out(tmp_path):
    text = HANDSHAKE + (
        "+0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0\n"
        "+0...0.100 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1\n"
        "+.1 < P. 1:6(5) ack 1 win 32767\n+0 > . 1:1(0) ack 6\n+0 read(4, ..., 5) = 5\n"
        "+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1\n"
        "+0...0.050 poll([{fd=4, events=POLLIN, revents=0}], 1, 50) = 0\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    wrong = run(tmp_path, text.replace("revents=POLLOUT}", "revents=POLLIN|POLLOUT}"))
    assert "poll() revents are POLLOUT, but the script expects POLLIN|POLLOUT" in wrong.message


def test_a_peer_mss_of_zero_does_not_hang_the_sender(tmp_path):
    text = HANDSHAKE.replace("<mss 1460>", "<mss 0>") + "+0 write(4, ..., 2000) = 2000\n+0 > . 1:537(536) ack 1\n"
    result = run(tmp_path, text)
    assert result.status in ("pass", "fail") and "runaway" not in result.message


@pytest.mark.slow
def test_mangled_copies_of_the_real_suites_are_each_their_own_outcome(tmp_path):
    # the suites' own scripts cut short, with junk let in, a line dropped, a number made huge or
    # negative: every one a result (an error names its line), never a crash of the runner or a hang
    import os
    import random
    from pathlib import Path

    from simulator.conformance.packetdrill import find_scripts

    shared = Path(__file__).resolve().parent.parent.parent / "shared"
    suites = [shared / "tcp-testsuite", shared / "packetdrill-linux" / "gtests" / "net" / "tcp"]
    if not all(s.is_dir() for s in suites):
        if os.environ.get("CI") == "true":
            pytest.fail(f"the packetdrill suites are not under {shared}")
        pytest.skip(f"the packetdrill suites are not under {shared} (docs/conformance.md says how to fetch them)")
    scripts = find_scripts([str(s) for s in suites])
    rng = random.Random(22)
    junk = ["`", "(", "{", "%{", "}%", "\x00\xff", "9" * 40, "-1", "#ifdef Linux\n", "#endif\n", "...", "\n"]
    for i in range(600):
        source = rng.choice(scripts)
        text = source.read_text()
        cut = rng.randrange(len(text) + 1)
        mangled = [
            text[:cut],
            text[:cut] + rng.choice(junk) + text[cut:],
            "\n".join(line for n, line in enumerate(text.splitlines()) if n != cut % max(1, text.count("\n"))),
            re.sub(r"\d+", lambda m: rng.choice([m.group(0), "0", "-1", "4294967296", "9" * 25]), text, count=3),
        ][i % 4]
        path = tmp_path / source.parent.name / f"{i}.pkt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(mangled, encoding="utf-8", errors="surrogateescape")
        result = run_script(path, RunOptions(profile="freebsd" if "tcp-testsuite" in str(source) else "linux"))
        assert "could not run" not in result.message, (source, result.message)
        assert result.status != "error" or result.line is not None, (source, result.message)


@pytest.mark.parametrize("field", ["(ttl 4)", "(tos 0x4)", "(hlim 1)", "(flowlabel 0x1)"])
def test_an_ip_field_on_an_injected_packet_is_skipped_and_counted(tmp_path, field):
    # a TCP does not read them; the ECN field it does (tests/test_ecn.py)
    text = HANDSHAKE + f"+0 < {field} P. 1:6(5) ack 1 win 32767\n+0 > . 1:1(0) ack 6\n"
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert result.skipped_kinds == {"IP field of an injected packet": 1}


@pytest.mark.parametrize("field", ["[ect0]", "[ect1]", "[noecn]", "[ce]"])
def test_the_ecn_field_of_an_injected_packet_is_given_to_the_model_not_skipped(tmp_path, field):
    # RFC 3168 5: ECN was not agreed here, so a mark changes nothing, but the field is the model's to read
    text = HANDSHAKE + f"+0 < {field} P. 1:6(5) ack 1 win 32767\n+0 > . 1:1(0) ack 6\n"
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    assert result.skipped_kinds == {}


def test_nagle_holds_a_small_write_while_a_small_segment_is_unacknowledged(tmp_path):
    text = HANDSHAKE + (
        "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n+0 write(4, ..., 50) = 50\n"
        "+.1 < . 1:1(0) ack 11 win 32767\n+0 > P. 11:61(50) ack 1\n"
    )
    assert run(tmp_path, text).status == "pass"
    early = text.replace("+.1 < . 1:1(0) ack 11 win 32767\n+0 > P. 11:61(50) ack 1", "+0 > P. 11:61(50) ack 1")
    assert run(tmp_path, early).status == "fail"


def test_sendto_sendmsg_and_recvmsg_read_their_structures(tmp_path):
    text = HANDSHAKE + (
        "+0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n"  # else Nagle holds the second write
        "+0 sendto(4, ..., 10, 0, ..., ...) = 10\n+0 > P. 1:11(10) ack 1\n"
        "+0 sendmsg(4, {msg_name(...)=...,\n    msg_iov(2)=[{..., 20}, {..., 30}],\n    msg_flags=0}, 0) = 50\n"
        "+0 > P. 11:61(50) ack 1\n"
        "+0 < P. 1:41(40) ack 61 win 32767\n+0 > . 61:61(0) ack 41\n"
        "+0 recvmsg(4, {msg_name(...)=...,\n    msg_iov(1)=[{..., 100}],\n    msg_flags=0}, 0) = 40\n"
    )
    result = run(tmp_path, text)
    assert result.status == "pass", result.message
    cmsg = text.replace("msg_flags=0}, 0) = 40", "msg_flags=0, msg_control=[]}, 0) = 40")
    assert "control messages" in run(tmp_path, cmsg).feature


def test_a_syn_with_its_own_isn_numbers_the_script_sides_later_packets(tmp_path):
    # packetdrill takes a SYN's sequence number as written (both ways: the SYN,ACK acknowledges 1428933) and
    # numbers the script side's other packets from the ISN of the first packet to the listener (socket.h,
    # remote_seq_script_to_live_offset; run_packet.c, handle_listen_for_script_packet)
    own_isn = SERVER.replace("< S 0:0(0)", "< S 1428932:1428932(0)").replace(
        "> S. 0:0(0) ack 1 ", "> S. 0:0(0) ack 1428933 "
    )
    result = run(tmp_path, own_isn)
    assert result.status == "pass", result.message
    assert run(tmp_path, own_isn.replace("ack 1428933", "ack 1")).status == "fail"


def test_a_descriptor_is_known_by_the_number_the_script_gives_it(tmp_path):
    # packetdrill maps the script's descriptors to the live ones: a second listener's child may be "4" in the
    # script while the first child, still open, holds the model's 4 (run.c, script_fd -> live_fd)
    second = (
        SERVER.split("+0 read(4")[0]
        + "+0 close(3) = 0\n"
        + SERVER.replace("0.000 socket", "+0 socket").replace("--tolerance_usecs=10000\n", "")
    )
    result = run(tmp_path, second)
    assert result.status == "pass", result.message
