"""The sentences that explain each step to a student, kept apart from the logic.

``explain(note, who, peer)`` turns one endpoint report into one sentence.
Numbers are absolute sequence numbers, as on the wire, or with ``relative=True`` counted from
each side's initial sequence number, as Wireshark's relative numbers are.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from .errors import ModelError
from .keys import AppKey, CongestionKey, DataKey, EofKey, ErrorKey, InfoKey, ReceiveKey, SendKey, StateKey, TimerKey
from .notes import Note, NoteKind
from .segment import Flags
from .seq import SeqNum

# The catalogues below are the English sentences, one per key (tests/test_vocabularies.py).

# What a segment the endpoint sends means, by the key the endpoint gave it.
SEND: dict[SendKey, str] = {
    SendKey.SYN: "{who} opens the connection: its SYN carries its initial sequence number (ISN) {seq}. "
    "The SYN itself occupies one sequence number, so {who}'s first data byte will be {end}.",
    SendKey.SYN_ACK: "{who} answers the SYN with a SYN of its own (its ISN is {seq}) and ack={ack}: "
    "{peer}'s ISN {irs} + 1, because a SYN occupies one sequence number.",
    SendKey.SYN_ACK_ECN: "{who} answers the SYN with a SYN of its own (its ISN is {seq}) and ack={ack}; the SYN "
    "asked for ECN (ECE and CWR set), and {who} sets ECE to say yes: routers may now mark this connection's "
    "packets instead of dropping them (RFC 3168 6.1.1).",
    SendKey.SYN_ACK_FAST_OPEN: "{who} answers a Fast Open SYN (RFC 7413 4.2.2): its SYN (ISN {seq}) acknowledges "
    "the SYN and the data it carried, ack={ack}, before the handshake is done.",
    SendKey.SYN_ACK_COOKIE: "{who} answers the SYN (ack={ack}) and gives {peer} a Fast Open cookie for its next "
    "connections (RFC 7413 4.1.2): a cookie request, or a cookie {who} did not make, gets the right one.",
    SendKey.SYN_ACK_SIMULTANEOUS: "Both sides sent a SYN at once (simultaneous open): {who} acknowledges "
    "{peer}'s SYN with ack={ack} ({irs} + 1) and repeats its own SYN (seq={seq}).",
    SendKey.ACK_SIMULTANEOUS_SYN_ACK: "{peer}'s SYN,ACK completes the simultaneous open, but its SYN repeats the one "
    "{who} already acknowledged: {who} acknowledges at once (ack={ack}), as Linux does and as RFC 9293 3.10.7.4 asks "
    "of a segment whose sequence numbers lie before RCV.NXT.",
    SendKey.ACK_OF_SYN: "{who} completes the three-way handshake: ack={ack} ({irs} + 1) acknowledges {peer}'s SYN; "
    "seq={seq} because {who}'s own SYN used up {iss}.",
    SendKey.DATA: "{who} sends {n} bytes, sequence numbers {seq}..{last}; the next new byte will be {end}. "
    "ack={ack} still says which byte {who} expects next.",
    SendKey.LOSS_PROBE_NEW: "No ACK for the end of the flight within the probe timeout (about 2 x SRTT): {who} "
    "sends new data, bytes {seq}..{last}, as a tail loss probe, even beyond cwnd; the ACK it brings reveals any loss "
    "at the tail without waiting for the RTO (RFC 8985 section 7.3; Linux's tcp_send_loss_probe).",
    SendKey.FIN: "{who} has no more data to send: its FIN (seq={seq}) occupies one sequence number, "
    "so {peer} will acknowledge {end}. {who} can still receive.",
    SendKey.FIN_WITH_DATA: "{who} sends its last {n} bytes ({seq}..{last}) and, in the same segment, its FIN; "
    "the FIN takes sequence number {fin_seq}, so {peer} will acknowledge {end}.",
    SendKey.FIN_ACKS_FIN: "{who} closes its side too: the FIN (seq={seq}) also carries ack={ack}, "
    "acknowledging {peer}'s FIN, which occupied one sequence number.",
    SendKey.ZERO_WINDOW_PROBE: "{peer}'s window is zero, so the persist timer fired: {who} probes with one byte "
    "(seq={seq}) to make {peer} report its window again (RFC 9293 section 3.8.6.1).",
    SendKey.ZERO_WINDOW_PROBE_EMPTY: "{peer}'s window is zero, so the persist timer fired: {who} probes with an empty "
    "ACK at seq={seq}, one below SND.UNA, as Linux does (tcp_xmit_probe_skb). It carries no data, but it lies "
    "outside {peer}'s window, so {peer} must answer with an ACK that reports its window.",
    SendKey.CORK_PROBE: "{who}'s application held this data back (TCP_CORK or MSG_MORE) and nothing is in flight: "
    "after an RTO Linux's probe timer sends it anyway, with PSH (tcp_write_wakeup), so that a cork never "
    "holds data much longer than 200 ms. {n} bytes, {seq}..{last}.",
    SendKey.WINDOW_PROBE_PART: "The peer's window is open, but less than the next segment, so {who} held the "
    "segment back (Linux's tcp_snd_wnd_test: a segment goes only if it fits whole, the sender's silly window "
    "avoidance of RFC 9293 3.8.6.2.1); with nothing in flight the probe timer fired after an RTO and sends "
    "what fits, with PSH (tcp_write_wakeup). {n} bytes, {seq}..{last}.",
    SendKey.ACK_PAWS: "The segment's timestamp is older than the last one {who} accepted (TS.Recent): PAWS takes it "
    "for an old duplicate (RFC 7323 section 5.3), so {who} drops it and answers with an ACK of where it is, "
    "ack={ack}.",
    SendKey.ACK_QUICK: "{who} is in quick-ACK mode (the start of a connection, or after a quiet spell): Linux "
    "acknowledges each segment at once so that {peer}'s sending can speed up, ack={ack}.",
    SendKey.ACK_DEFERRED: "{who}'s application was inside a system call on the socket when the data came (on "
    "loopback, brought back by what that call sent), so the ACK it called for waited for the call's end "
    "(Linux's tcp_backlog_ack_defer, tcp_release_cb) and now covers everything that came meanwhile, ack={ack}.",
    SendKey.ACK_PUSHED_READ: "{who}'s application has read the small segments that were waiting: Linux acknowledges "
    "them now rather than wait for the delayed-ACK timer (tcp_cleanup_rbuf), ack={ack}.",
    SendKey.ACK_DATA: "{who} acknowledges the data: ack={ack} is the next byte it expects (acknowledgements are "
    "cumulative).",
    SendKey.ACK_EVERY_SECOND: "Delayed ACKs: this is the second full-sized segment since the last ACK, so {who} "
    "acknowledges now (RFC 1122: at least every second segment), ack={ack}.",
    SendKey.ACK_DELAYED: "The delayed-ACK timer expired: {who} acknowledges what arrived since the last ACK, "
    "ack={ack}.",
    SendKey.ACK_FILLS_GAP: "The missing bytes arrived and filled the gap: {who} acknowledges everything it now holds "
    "in order, ack={ack} (RFC 5681 section 4.2: ACK at once when a gap is filled).",
    SendKey.ACK_FIN: "{who} acknowledges {peer}'s FIN: ack={ack}, one more than the FIN's sequence number, "
    "because a FIN occupies one sequence number.",
    SendKey.ACK_FIN_DELAYED: "{who} acknowledges {peer}'s FIN (ack={ack}); the ACK waited briefly in case "
    "{who}'s application closed too and a FIN could carry it.",
    SendKey.ACK_TIME_WAIT: "{who} is in TIME-WAIT and restates where it is: seq={seq}, ack={ack}.",
    SendKey.ACK_FIN_AGAIN: "The FIN arrived again, so {who}'s ACK of it was probably lost: "
    "{who} acknowledges it again (ack={ack}).",
    SendKey.ACK_OUT_OF_ORDER: "The segment arrived out of order: {who} expected byte {ack} next, so it repeats "
    "ack={ack} (a duplicate ACK) to tell {peer} what is missing, and keeps the early bytes.",
    SendKey.ACK_UNACCEPTABLE: "The segment lies outside {who}'s receive window (an old duplicate or garbage): "
    "RFC 9293 section 3.10.7.4 says to drop it and answer with an ACK that states where {who} is: "
    "seq={seq}, ack={ack}.",
    SendKey.ACK_WINDOW_FULL: "{who}'s receive window is 0: there is no room for the data, so {who} drops it and "
    "answers with an ACK that repeats ack={ack} and window {wnd}.",
    SendKey.ACK_UNACCEPTABLE_SYN: "A SYN outside the receive window on a synchronized connection: {who} drops it and "
    "answers with an ACK that states where it is (seq={seq}, ack={ack}).",
    SendKey.ACK_FOR_UNSENT: "The segment acknowledges bytes {who} never sent: {who} drops it and answers with "
    "an ACK of where it really is (seq={seq}, ack={ack}).",
    SendKey.CHALLENGE_ACK_SYN: "A SYN on a synchronized connection: instead of resetting (which an attacker could "
    "abuse), {who} sends a challenge ACK (RFC 5961 section 4.2); a real peer that restarted will answer with a RST.",
    SendKey.CHALLENGE_ACK_RST: "A RST inside the window but not exactly at RCV.NXT={rcv_nxt}: {who} does not trust it "
    "and sends a challenge ACK (RFC 5961 section 3.2); only a RST with seq={rcv_nxt} would reset the connection.",
    SendKey.CHALLENGE_ACK_OLD_ACK: "The ACK is older than anything {who} could still have outstanding: "
    "{who} drops the segment and sends a challenge ACK (RFC 5961 section 5.2).",
    SendKey.WINDOW_UPDATE: "{who}'s application read data and the receive window opened to {wnd} bytes: "
    "{who} tells {peer} with a window update (same ack={ack}, new window).",
    SendKey.RST_CLOSED_ACK: "No connection exists for this segment: {who} answers with a RST whose seq={seq} is "
    "taken from the segment's ACK field, so the sender will accept it (RFC 9293 section 3.10.7.1).",
    SendKey.RST_CLOSED_NOACK: "No connection exists for this segment: {who} answers with a RST; the segment had "
    "no ACK, so the RST has seq=0 and ack={ack} = its SEQ + LEN (RFC 9293 section 3.10.7.1).",
    SendKey.RST_LISTEN_ACK: "An ACK can not be right for a listening socket (nothing was sent yet): "
    "{who} answers with RST seq={seq} taken from the ACK field (RFC 9293 section 3.10.7.2).",
    SendKey.RST_SYN_SENT_BAD_ACK: "The ACK does not acknowledge {who}'s SYN (it must be {expected}): it belongs to "
    "some old connection, so {who} resets it with RST seq={seq} (RFC 9293 section 3.10.7.3).",
    SendKey.RST_SYN_SENT_BAD_TSECR: "The SYN,ACK echoes a timestamp {who} has not sent since its SYN went: it "
    "belongs to some other connection, so {who} answers with RST seq={seq} and waits on for its own SYN,ACK "
    "(Linux's tcp_rcv_synsent_state_process, RFC 7323 timestamps).",
    SendKey.RST_SYN_RECEIVED_BAD_ACK: "The ACK does not acknowledge {who}'s SYN: {who} answers with RST seq={seq} "
    "(RFC 9293 section 3.10.7.4, fifth step).",
    SendKey.RST_SYN_IN_WINDOW: "With RFC 5961 off, a SYN inside the window is an error: {who} resets the connection "
    "(the rule of RFC 793).",
    SendKey.KEEPALIVE_PROBE: "{who} has heard nothing from {peer} for its keep-alive idle time (SO_KEEPALIVE) and "
    "has nothing in flight: it sends a keep-alive probe, an ACK with seq={seq}, one below SND.NXT, and no data. "
    "A live {peer} must answer it with an ACK of where it is (RFC 1122 4.2.3.6).",
    SendKey.ACK_KEEPALIVE: "{who} answers {peer}'s keep-alive probe with an ACK of where it is (seq={seq}, "
    "ack={ack}): all a probe asks for is proof that {who} is still there.",
    SendKey.RST_KEEPALIVE_TIMEOUT: "{peer} answered none of {who}'s keep-alive probes: {who} takes the connection "
    "for dead, resets it (seq={seq}) and tells its application that the connection timed out.",
    SendKey.RST_ABORT: "{who}'s application aborts: a RST with seq={seq} tells {peer} to drop the connection at once; "
    "unsent and unacknowledged data is lost.",
    SendKey.RST_UNREAD_DATA: "{who}'s application closed while received data was still unread: {who} resets the "
    "connection to show that data was lost (RFC 1122 section 4.2.2.13).",
    SendKey.RST_DATA_AFTER_CLOSE: "Data arrived after {who}'s application had closed the socket, so nobody will read "
    "it: {who} resets the connection (RFC 1122 section 4.2.2.13).",
    SendKey.RST_DATA_AFTER_CLOSE_ANSWER: "Data arrived after {who}'s application had closed the socket, so nobody "
    "will read it: {who} resets the connection (RFC 1122 section 4.2.2.13), answering the segment as a closed port "
    "would: seq={seq} is taken from its ACK field (Linux's tcp_v4_send_reset, not an RST of its own at SND.NXT).",
}

# Why a segment is sent again.
RESENT: dict[SendKey, str] = {
    SendKey.RTO_RETRANSMIT: "The retransmission timer expired before an ACK came ({who}'s RTO is now {rto} s, "
    "doubled by exponential backoff, RFC 6298 section 5.5): {who} sends the oldest unacknowledged segment again. ",
    SendKey.FAST_RETRANSMIT: "Three duplicate ACKs say that segment {seq} was lost: {who} resends it at once, "
    "without waiting for the timer (fast retransmit, RFC 5681 section 3.2). ",
    SendKey.PROBE_AGAIN: "The window is still zero: the persist timer fired again and {who} repeats its probe. ",
    SendKey.SYN_ACK_AGAIN: "{peer}'s SYN arrived again, so {who}'s SYN,ACK was probably lost: {who} sends it again "
    "at once and restarts its retransmission timer, as Linux does. ",
    SendKey.PROBE_AFTER_OPEN: "The window is open again ({wnd_open} bytes), but the probe byte was refused while it "
    "was zero: {who} sends it again before any new data. ",
    SendKey.PARTIAL_ACK_RETRANSMIT: "In fast recovery an ACK acknowledged part of the window but not all of it (a "
    "partial ACK): the next segment is lost too, and {who} resends it at once (NewReno, RFC 6582 section 3.2). ",
    SendKey.SACK_RETRANSMIT: "The peer's SACK blocks show at least three segments, or more than 2 MSS, held above "
    "segment {seq}: the scoreboard counts it as lost (IsLost) and, with room in cwnd for the pipe, it is the next "
    "to go (NextSeg, RFC 6675 sections 4 and 5). ",
    SendKey.RACK_RETRANSMIT: "A segment sent after {seq} has been delivered, and more than the RACK RTT plus the "
    "reordering window has passed since {seq} went out: RACK counts it as lost and {who} sends it again "
    "(RFC 8985 section 6.2; Linux's tcp_rack_detect_loss). ",
    SendKey.LOSS_PROBE: "No ACK for the end of the flight within the probe timeout (about 2 x SRTT): {who} sends "
    "its last segment again as a tail loss probe, so that the ACK it brings reveals any loss at the tail without "
    "waiting for the RTO (RFC 8985 section 7.3; Linux's tcp_send_loss_probe). ",
    SendKey.LOSS_RETRANSMIT: "After the timeout {who} counts every segment sent before it as lost and resends them "
    "as the growing cwnd allows (slow start, RFC 5681 section 3.1; Linux marks them lost the same way). ",
    SendKey.SYN_DATA_AGAIN: "{peer}'s SYN,ACK did not acknowledge all the data {who}'s Fast Open SYN carried (no "
    "cookie accepted, or a SYN sent again without it): {who} sends the rest again at once, a retransmission "
    "(RFC 7413 section 4.2.2; Linux's tcp_rcv_fastopen_synack). ",
}

# What the endpoint did with a segment that arrived.
RECEIVE: dict[ReceiveKey, str] = {
    ReceiveKey.CLOSED_RESET: "{who} has no connection for this segment (CLOSED): it is answered with a RST.",
    ReceiveKey.CLOSED_RST_IGNORED: "A RST for a connection that does not exist is ignored (a RST is never answered).",
    ReceiveKey.LISTEN_RST_IGNORED: "A listening socket ignores a RST (RFC 9293 section 3.10.7.2).",
    ReceiveKey.LISTEN_ACK_RESET: "A listening socket can not get an ACK for anything: it answers with a RST.",
    ReceiveKey.LISTEN_OTHER_DROPPED: "A listening socket only reacts to a SYN: this segment is dropped.",
    ReceiveKey.LISTEN_SYN: "{who} receives the SYN: it records {peer}'s ISN (IRS={irs}) and sets RCV.NXT={rcv_nxt} "
    "(the SYN used one sequence number).",
    ReceiveKey.LISTEN_SYN_WITH_DATA: "{who} receives a SYN that carries data (or a FIN): it keeps them and takes "
    "them in order once the handshake is done (RFC 9293 3.10.7.2); for now only the SYN is acknowledged.",
    ReceiveKey.LISTEN_SYN_DATA_DROPPED: "{who} receives a SYN that carries data (or a FIN): as Linux, it keeps "
    "only the SYN (no Fast Open here), so only the SYN is acknowledged and {peer} must send the data again.",
    ReceiveKey.LISTEN_SYN_FAST_OPEN: "{who} receives a SYN with a valid Fast Open cookie (RFC 7413 4.2.2): it "
    "takes the data the SYN carries at once, and the application may read it before the handshake ends.",
    ReceiveKey.SYN_SENT_BAD_ACK: "The segment acknowledges something {who} never sent (a leftover of an older "
    "connection).",
    ReceiveKey.SYN_SENT_BAD_TSECR: "The SYN,ACK's timestamp echo reply is none of {who}'s since its SYN: not "
    "an answer to this connection's SYN.",
    ReceiveKey.SYN_SENT_BAD_ACK_RST_DROPPED: "A RST with a wrong ACK does not belong to this connection: dropped.",
    ReceiveKey.SYN_SENT_RST: "The SYN was refused: {peer} answered with a RST (nobody listens there).",
    ReceiveKey.SYN_SENT_RST_NO_ACK: "A RST without an acceptable ACK can not belong to {who}'s SYN: dropped.",
    ReceiveKey.SYN_SENT_NO_SYN: "While waiting for a SYN, {who} drops a segment that has neither SYN nor RST.",
    ReceiveKey.SYN_SENT_SYN_ACK: "The SYN,ACK acknowledges {who}'s SYN (ack={seg_ack} = ISS+1) and brings {peer}'s ISN "
    "{irs}: "
    "the connection is established on {who}'s side.",
    ReceiveKey.SYN_SENT_SYN: "{who} receives a SYN without ACK while its own SYN is out: both opened at once.",
    ReceiveKey.SYN_RECEIVED_DUP_SYN: "{peer}'s SYN arrived a second time.",
    ReceiveKey.SYN_RECEIVED_DUP_SYN_LIMITED: "{peer}'s SYN arrived again, but {who} answered a repeated SYN only "
    "moments ago: it does not send another SYN,ACK yet (Linux limits such answers to one per 0.5 s, "
    "net.ipv4.tcp_invalid_ratelimit).",
    ReceiveKey.UNACCEPTABLE_RST_DROPPED: "A RST outside the receive window is dropped silently.",
    ReceiveKey.FIN_AGAIN: "A FIN that {who} already has (a retransmission).",
    ReceiveKey.KEEPALIVE_PROBE: "A keep-alive probe: no data, and seq one below RCV.NXT={rcv_nxt}, so it lies "
    "before the window and is not taken; {who} answers it with an ACK.",
    ReceiveKey.PAWS_REJECTED: "The segment's timestamp is older than TS.Recent: rejected by PAWS (RFC 7323 "
    "section 5.3), whatever its sequence numbers.",
    ReceiveKey.OUT_OF_WINDOW_LIMITED: "The segment lies outside the receive window, but {who} answered such a "
    "segment less than 0.5 s ago: it drops this one without an answer (Linux's tcp_oow_rate_limited, "
    "net.ipv4.tcp_invalid_ratelimit), so that two confused ends cannot trade ACKs forever.",
    ReceiveKey.UNACCEPTABLE: "The segment is not acceptable: its sequence numbers lie outside the receive window "
    "(RCV.NXT={rcv_nxt}, RCV.WND={rcv_wnd}).",
    ReceiveKey.CHALLENGE_SYN: "A SYN on a synchronized connection is not trusted.",
    ReceiveKey.SYN_IN_SYN_RECEIVED: "A second, different SYN while in SYN-RECEIVED: "
    "the half-open connection goes back to LISTEN.",
    ReceiveKey.SYN_IN_WINDOW_RESET: "A SYN inside the window is an error: the connection is reset.",
    ReceiveKey.NO_ACK_DROPPED: "Every segment after the handshake must carry ACK: this one does not, so it is dropped.",
    ReceiveKey.ACK_TOO_OLD: "The ACK is older than anything that could still be outstanding.",
    ReceiveKey.SYN_RECEIVED_BAD_ACK: "The ACK does not acknowledge {who}'s SYN.",
    ReceiveKey.LAST_ACK_DONE: "The ACK acknowledges {who}'s FIN: {who} was the last to close, so the connection is "
    "deleted at once (no TIME-WAIT on this side).",
    ReceiveKey.TEXT_AFTER_FIN_IGNORED: "Data after {peer}'s FIN is ignored: a FIN means no more data will come.",
    ReceiveKey.CHALLENGE_RST: "The RST is inside the window but not at exactly RCV.NXT.",
    ReceiveKey.RST_BACK_TO_LISTEN: "The RST resets the half-open connection: {who} returns to LISTEN.",
    ReceiveKey.RST_REFUSED: "The RST answers {who}'s SYN: connection refused.",
    ReceiveKey.RST_CLOSED: "The RST ends the closing connection at once.",
    ReceiveKey.RST_RESET: "The RST is exactly at RCV.NXT: {who} accepts it and drops the connection (connection "
    "reset).",
    ReceiveKey.TIME_WAIT_IGNORED: "In TIME-WAIT the connection only waits; this segment needs no answer.",
    ReceiveKey.ACK_FOR_UNSENT: "The segment acknowledges data that was never sent.",
    ReceiveKey.ACK_FOR_UNSENT_DROPPED: "The segment acknowledges data that was never sent: Linux drops it without "
    "an answer (tcp_ack), where RFC 9293 3.10.7.4 would answer with an ACK, and takes nothing from it, not "
    "even its timestamp.",
    ReceiveKey.WINDOW_FULL: "The segment starts at RCV.NXT={rcv_nxt}, but the receive window is 0: its ACK field is "
    "used (RFC 9293 asks for that allowance), its data is not.",
    ReceiveKey.CLOSING_FIN_ACKED: "The ACK acknowledges {who}'s FIN: both FINs are acknowledged, {who} waits in "
    "TIME-WAIT.",
    ReceiveKey.OUT_OF_ORDER: "The segment starts at {seg_seq}, but {who} expects {rcv_nxt}: bytes in between are "
    "missing.",
    ReceiveKey.DATA_AFTER_CLOSE_RESET: "The data can not be delivered: {who}'s application has closed.",
    ReceiveKey.GAP_FILLED: "The segment fills the gap: it and the bytes kept from earlier segments are delivered in "
    "order; "
    "RCV.NXT={rcv_nxt}.",
    ReceiveKey.FIN_RECEIVED: "{peer}'s FIN arrives in order: {peer} will send no more data; RCV.NXT={rcv_nxt} counts "
    "the FIN.",
    ReceiveKey.DATA_ACCEPTED: "{n} bytes arrive in order and are accepted: RCV.NXT advances to {rcv_nxt}.",
    ReceiveKey.ACK_PROCESSED: "",
    ReceiveKey.TIME_WAIT_NO_ACK_DROPPED: "In TIME-WAIT, a segment without ACK is dropped without an answer (FreeBSD's "
    "TIME-WAIT rules).",
    ReceiveKey.TIME_WAIT_ACKED: "In TIME-WAIT, {who} answers anything but an exact duplicate ACK with an ACK of where "
    "it "
    "is (FreeBSD's TIME-WAIT rules).",
    ReceiveKey.RST_TIME_WAIT_IGNORED: "A RST in TIME-WAIT is ignored (RFC 1337, remedy F1): an old or forged RST must "
    "not "
    "cut TIME-WAIT short, or old duplicates could reach a new connection.",
    ReceiveKey.OLD_SEGMENT_ACK_CLOSED: "An old segment, but its ACK field acknowledges {who}'s FIN: BSD stacks still "
    "use "
    "the ACK of a segment they otherwise drop, so the connection is deleted.",
    ReceiveKey.SYNFIN_DROPPED: "A segment with both SYN and FIN makes no sense: {who} drops it silently "
    "(the drop_synfin setting, as FreeBSD can).",
}

# Why a state changes.
STATE: dict[StateKey, str] = {
    StateKey.LISTEN: "{who}'s application listens (passive OPEN).",
    StateKey.LISTEN_CHILD: "A SYN came for a port whose listening socket is busy with another connection: the "
    "host makes {who}, a new connection for it, a copy of the listener that takes the SYN (no application "
    "call; the program gets it with accept() once it is established).",
    StateKey.CONNECT: "{who}'s application connects (active OPEN): SYN sent, waiting for the answer.",
    StateKey.RCV_SYN: "A SYN arrived: {who} answers with SYN,ACK and waits for the final ACK.",
    StateKey.RCV_SYN_ACK: "{who}'s SYN is acknowledged and {peer}'s SYN received: the connection is open.",
    StateKey.RCV_SYN_SIMULTANEOUS: "A SYN arrived while {who}'s own SYN was out: simultaneous open.",
    StateKey.RCV_ACK_OF_SYN: "The ACK of {who}'s SYN arrived: both directions are synchronized.",
    StateKey.CLOSE: "{who}'s application closes: a FIN is queued behind any unsent data.",
    StateKey.CLOSE_AFTER_FIN: "{who}'s application closes after {peer} did: {who} sends its FIN and waits for its ACK.",
    StateKey.CLOSE_BEFORE_SYNC: "{who}'s application closes before the connection was established: nothing to tell the "
    "peer.",
    StateKey.ABORT_QUIET: "{who}'s application aborts; no RST is needed in this state.",
    StateKey.RCV_FIN: "{peer} closed its side (FIN): {who} can still send, and waits for its application to close.",
    StateKey.RCV_FIN_SIMULTANEOUS: "{peer}'s FIN arrived before the ACK of {who}'s FIN: both are closing at once.",
    StateKey.RCV_FIN_FIN_WAIT_1_ACKED: "{peer}'s FIN also acknowledges {who}'s FIN: straight to TIME-WAIT.",
    StateKey.RCV_FIN_FIN_WAIT_2: "{peer}'s FIN arrived: both sides are done; {who} waits 2*MSL in TIME-WAIT "
    "so that a lost final ACK can be repeated and old segments die out.",
    StateKey.FIN_ACKED: "{who}'s FIN is acknowledged: {who} waits for {peer}'s FIN.",
    StateKey.FIN_ACKED_CLOSING: "{who}'s FIN is acknowledged after both sides closed: TIME-WAIT.",
    StateKey.FIN_ACKED_LAST_ACK: "{who}'s FIN is acknowledged: the connection is deleted.",
    StateKey.TIME_WAIT_OVER: "2*MSL has passed: old segments of this connection can no longer be in the network, "
    "so the connection is deleted.",
    StateKey.SYN_IN_SYN_RECEIVED: "Back to LISTEN: the half-open connection is dropped.",
    StateKey.RST_IN_SYN_RECEIVED: "Back to LISTEN: the connection that was being set up was reset.",
    StateKey.RST_REFUSED: "The connection was refused.",
    StateKey.RST_WHILE_CLOSING: "The RST ends the connection.",
    StateKey.RST_RESET: "Connection reset by {peer}.",
    StateKey.SYN_SENT_RST: "Connection refused.",
    StateKey.KEEPALIVE_TIMEOUT: "No answer to the last keep-alive probe: {who} gives the connection up.",
    StateKey.GAVE_UP: "{who} gave up after too many retransmissions: connection timed out.",
    StateKey.SYN_IN_WINDOW_RESET: "The connection is reset.",
    StateKey.RST_ABORT: "{who} aborted the connection.",
    StateKey.RST_UNREAD_DATA: "{who} reset the connection (unread data).",
    StateKey.RST_DATA_AFTER_CLOSE: "{who} reset the connection (data after close).",
    StateKey.TIME_WAIT_REOPENED: "A new SYN with a higher sequence number arrived: {who} ends TIME-WAIT early and lets "
    "the new connection start (RFC 1122 4.2.2.13).",
    StateKey.CRASH: "{who}'s host crashed and restarted: it has forgotten the connection, and tells nobody.",
}

# Why the connection failed.
ERROR: dict[ErrorKey, str] = {
    ErrorKey.REFUSED: "{who}'s application is told: connection refused.",
    ErrorKey.RESET: "{who}'s application is told: connection reset by peer.",
    ErrorKey.TIMEOUT: "{who}'s application is told: connection timed out.",
}

# The application's user calls.
APP: dict[AppKey, str] = {
    AppKey.LISTEN: "{who}'s application calls listen() (passive OPEN).",
    AppKey.CONNECT: "{who}'s application calls connect() to {remote} (active OPEN).",
    AppKey.SEND: "{who}'s application hands {n} bytes to TCP (SEND).",
    AppKey.READ: "{who}'s application reads {n} bytes, which frees room in its receive buffer.",
    AppKey.CLOSE: "{who}'s application calls close(): it will neither send nor read any more.",
    AppKey.SHUTDOWN: "{who}'s application calls shutdown(SHUT_WR): it will send no more, but still reads (half-close).",
    AppKey.ABORT: "{who}'s application aborts the connection (ABORT).",
    AppKey.CRASH: "{who}'s host crashes and comes back with no memory of its connections.",
}

# The timers, as a sentence names them.
TIMER: dict[TimerKey, str] = {
    TimerKey.RETRANSMIT: "the retransmission timer (RTO)",
    TimerKey.PERSIST: "the persist timer (zero-window probe)",
    TimerKey.DELAYED_ACK: "the delayed-ACK timer",
    TimerKey.TIME_WAIT: "the TIME-WAIT timer (2*MSL)",
    TimerKey.ESTABLISH: "the connection-establishment timer",
    TimerKey.KEEPALIVE: "the keep-alive timer",
    TimerKey.REORDER: "the RACK reordering timer (a segment may be lost once its reordering window has passed)",
    TimerKey.LOSS_PROBE: "the tail loss probe timer (PTO)",
}

# Bytes became readable, the stream ended, an RTT sample.
DATA: dict[DataKey, str] = {DataKey.DATA: "{n} bytes are ready for {who}'s application to read."}
EOF: dict[EofKey, str] = {EofKey.EOF: "{who}'s application will read end of stream: {peer} sends no more."}
INFO: dict[InfoKey, str] = {
    InfoKey.RTT_SAMPLE: "RTT sample {rtt:.3f} s (Karn: only from a segment sent once): "
    "SRTT={srtt:.3f} s, RTO={rto:.3f} s (RFC 6298 section 2).",
    InfoKey.CE_RECEIVED: "The segment arrived marked Congestion Experienced (CE): a router's queue is filling, "
    "and it marked the packet instead of dropping it. {who} echoes the mark with ECE on its ACKs, from this one "
    "on, until {peer} says it has reduced its window with CWR (RFC 3168 section 6.1.3).",
}

# How cwnd and ssthresh move (model.congestion); every sentence starts "cwnd OLD -> NEW".
CONGESTION: dict[CongestionKey, str] = {
    CongestionKey.INITIAL_WINDOW: "cwnd {new}: {who}'s initial window is {segments} segments of {mss} bytes "
    "(RFC 6928 section 2, Linux's and FreeBSD's IW10).",
    CongestionKey.INITIAL_WINDOW_RFC5681: "cwnd {new}: {who}'s initial window by RFC 5681 section 3.1 "
    "(4 segments up to 1095 bytes, 3 up to 2190, else 2; here of {mss} bytes).",
    CongestionKey.INITIAL_WINDOW_AFTER_SYN_LOSS: "cwnd {new}: the SYN or SYN,ACK had to be sent again, so {who} "
    "starts with one segment, not the usual initial window (RFC 5681 section 3.1; Linux only after two).",
    CongestionKey.SLOW_START: "cwnd {old} -> {new}: slow start adds one MSS per MSS acknowledged ({acked} bytes; "
    "at most 2 MSS per ACK, RFC 3465) while cwnd < ssthresh ({ssthresh}): it doubles each round trip "
    "(RFC 5681 section 3.1).",
    CongestionKey.AVOIDANCE: "cwnd {old} -> {new}: congestion avoidance adds one MSS ({mss} bytes) once a whole "
    "window has been acknowledged, about one MSS per round trip (RFC 5681 section 3.1, byte counting RFC 3465).",
    CongestionKey.CUBIC_GROWTH: "cwnd {old} -> {new}: CUBIC follows W(t) = C(t - K)^3 + W_max, {t:.3f} s into the "
    "epoch, K = {k:.3f} s, W_max = {w_max} bytes: slow near W_max, faster away from it (RFC 9438 section 4.2).",
    CongestionKey.CUBIC_RENO_FRIENDLY: "cwnd {old} -> {new}: CUBIC's curve is below what Reno would have by now, so "
    "cwnd follows the Reno-friendly estimate (RFC 9438 section 4.3).",
    CongestionKey.FAST_RECOVERY: "cwnd {old} -> {new}: third duplicate ACK: a segment is lost. ssthresh = "
    "max(FlightSize {flight} / 2, 2 MSS) = {ssthresh}; the missing segment goes again and cwnd = ssthresh + 3 MSS "
    "for the three segments that left the network; fast recovery until ack {recover} (RFC 5681 section 3.2, "
    "RFC 6582).",
    CongestionKey.FAST_RECOVERY_CUBIC: "cwnd {old} -> {new}: third duplicate ACK: a segment is lost. CUBIC sets "
    "ssthresh = cwnd x 0.7 = {ssthresh} (RFC 9438 section 4.6); the missing segment goes again and cwnd = ssthresh "
    "+ 3 MSS; fast recovery until ack {recover} (RFC 5681 section 3.2, RFC 6582).",
    CongestionKey.FAST_RECOVERY_INFLATE: "cwnd {old} -> {new}: duplicate ACK #{dupacks} in fast recovery: one more "
    "segment has left the network, so cwnd grows by one MSS and new data may follow (RFC 5681 section 3.2, step 4).",
    CongestionKey.NO_SECOND_REDUCTION: "cwnd stays {new}: a third duplicate ACK, but it does not cover {recover}, "
    "where the last loss was seen: the same episode, so no second reduction (RFC 6582 section 3.2, step 1).",
    CongestionKey.PARTIAL_ACK: "cwnd {old} -> {new}: a partial ACK ({acked} bytes, below {recover}): another segment "
    "of the same window is lost and goes again at once; cwnd is deflated by what was acknowledged, plus one MSS "
    "(RFC 6582 section 3.2, step 5).",
    CongestionKey.FULL_ACK: "cwnd {old} -> {new}: the ACK covers {recover}: fast recovery is over, cwnd deflates "
    "to ssthresh and congestion avoidance follows (RFC 6582 section 3.2, step 6).",
    CongestionKey.TIMEOUT: "cwnd {old} -> {new}: the retransmission timer expired: cwnd falls to the loss window, "
    "one MSS, and ssthresh = max(FlightSize {flight} / 2, 2 MSS) = {ssthresh}: slow start again "
    "(RFC 5681 section 3.1, equation 4).",
    CongestionKey.TIMEOUT_CUBIC: "cwnd {old} -> {new}: the retransmission timer expired: cwnd falls to the loss "
    "window, one MSS, and CUBIC sets ssthresh = cwnd x 0.7 = {ssthresh}: slow start again (RFC 9438 section 4.8).",
    CongestionKey.SACK_RECOVERY: "cwnd {old} -> {new}: the SACK scoreboard shows a segment lost (three duplicate "
    "ACKs, or three segments SACKed above it): loss recovery until ack {recover}. ssthresh = FlightSize {flight} x "
    "{beta} = {ssthresh} and cwnd = ssthresh; from now on what may go out is cwnd minus the pipe, the bytes still "
    "in the network, counted from the scoreboard (RFC 6675 section 5, step 4).",
    CongestionKey.RACK_RECOVERY: "cwnd {old} -> {new}: RACK marked a segment lost (a later one was delivered and "
    "the reordering window has passed): loss recovery until ack {recover}. ssthresh = FlightSize {flight} x "
    "{beta} = {ssthresh} and cwnd = ssthresh; the pipe limits sending (RFC 8985 section 6, RFC 6675 section 5).",
    CongestionKey.HYSTART_ACK_TRAIN: "ssthresh {ssthresh}: HyStart saw a train of ACKs, each within 2 ms of the "
    "last, last longer than half the minimum RTT ({delay_min:.3f} ms): the round's data has filled the path, so "
    "slow start ends here, before any loss, and congestion avoidance follows (Linux's tcp_cubic hystart).",
    CongestionKey.HYSTART_DELAY: "ssthresh {ssthresh}: HyStart saw this round's smallest RTT ({rtt:.3f} ms) exceed "
    "the minimum ({delay_min:.3f} ms) by more than an eighth of it (at least 4 ms): a queue is building, so slow "
    "start ends here, before any loss (Linux's tcp_cubic hystart).",
    CongestionKey.PRR: "cwnd {old} -> {new}: Proportional Rate Reduction: {delivered} bytes delivered since the "
    "loss, {out} sent; the pipe ({pipe}) is above ssthresh {ssthresh}, so {who} sends about ssthresh / cwnd-before of "
    "what is delivered, reaching ssthresh as recovery ends (RFC 6937 section 3; Linux's tcp_cwnd_reduction).",
    CongestionKey.PRR_SLOW_START: "cwnd {old} -> {new}: Proportional Rate Reduction: the pipe ({pipe}) has fallen "
    "below ssthresh {ssthresh}, so {who} may send what was delivered, plus one MSS on an ACK that advances, but "
    "never beyond ssthresh (PRR-SSRB, RFC 6937 section 3).",
    CongestionKey.ECN_ECHO: "cwnd {old} -> {new}: the ACK has ECE set: a router marked one of {who}'s packets "
    "Congestion Experienced instead of dropping it, so {who} reacts as to a loss, without a retransmission: "
    "ssthresh {ssthresh}, cwnd = ssthresh, once in a window of data (up to {recover}); its next new segment "
    "carries CWR to say so (RFC 3168 section 6.1.2).",
    CongestionKey.ECN_ECHO_PRR: "ssthresh {ssthresh}: the ACK has ECE set: a router marked one of {who}'s packets "
    "Congestion Experienced instead of dropping it, so {who} enters the CWR state: as after a loss, but nothing "
    "to retransmit; cwnd {old} falls to ssthresh by Proportional Rate Reduction over the window sent (up to "
    "{recover}), and its next new segment carries CWR (RFC 3168 section 6.1.2; Linux's tcp_enter_cwr).",
    CongestionKey.RECOVERY_IN_CWR: "cwnd {old} -> {new}: a segment is lost while {who} is still reducing for an "
    "ECN echo: loss recovery until ack {recover}, but ssthresh stays {ssthresh}: both are signs of the same "
    "congestion, and TCP reacts at most once a window of data (RFC 3168 section 6.1.2; Linux's "
    "tcp_enter_recovery keeps the reduction under way).",
    CongestionKey.CWR_OVER: "cwnd {old} -> {new}: the window sent when ECE arrived is acknowledged: the reduction "
    "is over, and cwnd is ssthresh (Linux's tcp_end_cwnd_reduction, leaving the CWR state).",
    CongestionKey.PROBE_REPAIRED: "cwnd {old} -> {new}: the ACK covers the tail loss probe and no D-SACK says the "
    "probe was a duplicate: the probe repaired a real loss, so {who} reduces its window once, as after any loss "
    "(RFC 8985 section 7.4; Linux's tcp_process_tlp_ack).",
    CongestionKey.RESTART_AFTER_IDLE: "cwnd {old} -> {new}: {who} sent nothing for longer than its RTO "
    "({rto:.3f} s), so what it knew of the network is stale: cwnd halves for each RTO of quiet, down to the "
    "initial window; ssthresh, kept at 3/4 of the old cwnd or more, is {ssthresh} (RFC 5681 section 4.1; Linux's "
    "tcp_cwnd_restart).",
    CongestionKey.TIMEOUT_AGAIN: "cwnd {old} -> {new}: the timer expired again for a retransmission: cwnd stays at "
    "one MSS and ssthresh {ssthresh} is kept (RFC 5681 section 3.1).",
}


def _fields(note: Note, who: str, peer: str, relative: bool = False) -> dict[str, object]:
    tcb = note.tcb

    # Relative numbers count from each side's ISN, as Wireshark shows them: {who}'s own
    # sequence space from its ISS, the peer's from the IRS.
    def own(x: SeqNum) -> int:
        return x.since(tcb.iss) if relative else int(x)

    def theirs(x: SeqNum) -> int:
        return x.since(tcb.irs) if relative else int(x)

    fields: dict[str, object] = {
        "who": who,
        "peer": peer,
        "state": tcb.state.value,
        "iss": own(tcb.iss),
        "irs": theirs(tcb.irs),
        "rcv_nxt": theirs(tcb.rcv_nxt),
        "snd_nxt": own(tcb.snd_nxt),
        "snd_una": own(tcb.snd_una),
        "rcv_wnd": tcb.rcv_wnd,
        "expected": own(tcb.iss + 1),
    }
    seg = note.segment
    if seg is not None:
        n = len(seg.payload)
        # A segment sent counts in {who}'s space and acknowledges the peer's; one received, the other way.
        in_seq, in_ack = (theirs, own) if note.kind is NoteKind.RECEIVE else (own, theirs)
        seq = in_seq(seg.seq)
        fields.update(
            seq=seq,
            ack=in_ack(seg.ack),
            seg_seq=seq,
            seg_ack=in_ack(seg.ack),
            n=n,
            last=in_seq(seg.seq + max(n - 1, 0)),
            end=in_seq(seg.end),
            fin_seq=in_seq(seg.seq + n),
            wnd=seg.window,
        )
    fields.update(note.args)
    return fields


def _resent_what(note: Note, fields: dict[str, object]) -> str:
    seg = note.segment
    assert seg is not None
    if seg.flags & Flags.SYN:
        return "It is the SYN,ACK again." if seg.flags & Flags.ACK else "It is the SYN again, same ISN."
    if seg.payload:
        fin = " with the FIN" if seg.flags & Flags.FIN else ""
        return f"Bytes {fields['seq']}..{fields['last']}{fin} go out again, with the same sequence numbers."
    return "It is the FIN again." if seg.flags & Flags.FIN else "The segment goes out again."


def explain(note: Note, who: str, peer: str, *, rto: float | None = None, relative: bool = False) -> str:
    """One sentence (or two) saying why this step happened (``relative``: numbers from each ISN)."""
    kind = note.kind
    fields = _fields(note, who, peer, relative)
    if kind is NoteKind.SEND:
        key = _key(note, SendKey)
        if key in RESENT:
            fields["rto"] = f"{rto:g}" if rto is not None else "?"
            fields["wnd_open"] = note.tcb.snd_wnd
            return RESENT[key].format(**fields) + _resent_what(note, fields)
        return SEND[key].format(**fields)
    if kind is NoteKind.RECEIVE:
        return _received(note, _key(note, ReceiveKey), fields)
    if kind is NoteKind.STATE:
        old = note.old_state.value if note.old_state else "?"
        return f"{who}: {old} -> {note.tcb.state.value}. " + STATE[_key(note, StateKey)].format(**fields)
    if kind is NoteKind.ERROR:
        return ERROR[_key(note, ErrorKey)].format(**fields)
    if kind is NoteKind.APP:
        return APP[_key(note, AppKey)].format(**fields)
    if kind is NoteKind.DATA:
        return DATA[_key(note, DataKey)].format(**fields)
    if kind is NoteKind.EOF:
        return EOF[_key(note, EofKey)].format(**fields)
    if kind is NoteKind.INFO:
        return INFO[_key(note, InfoKey)].format(**fields)
    if kind is NoteKind.CONGESTION:
        return CONGESTION[_key(note, CongestionKey)].format(**fields)
    timer = TIMER[_key(note, TimerKey)]
    if kind is NoteKind.TIMER_SET:
        return f"{who} sets {timer}, to fire at t={note.deadline:.3f} s."
    if kind is NoteKind.TIMER_FIRED:
        return f"{who}: {timer} fires."
    return f"{who} stops {timer}."


_K = TypeVar("_K", bound=enum.StrEnum)


def _key(note: Note, keys: type[_K]) -> _K:
    """The note's key, which must be one of ``keys`` (``notes.KEY_OF[note.kind]``)."""
    key = note.key
    if not isinstance(key, keys):
        raise ModelError(f"a {note.kind.value} note has the key {key!r}, which is not a {keys.__name__}")
    return key


def _received(note: Note, key: ReceiveKey, fields: dict[str, object]) -> str:
    parts = []
    handshake = fields.get("before") == "SYN-RECEIVED" and note.tcb.state.synchronized
    if handshake:
        parts.append("The ACK (ack={seg_ack} = ISS + 1) acknowledges {who}'s SYN: the three-way handshake is complete.")
    text = RECEIVE[key]
    if text:
        parts.append(text)
    acked = fields.get("acked", 0)
    dup = fields.get("dupacks", 0)
    if isinstance(acked, int) and acked > 0 and not parts:
        parts.append(
            "The ACK (ack={seg_ack}) acknowledges {acked} more sequence number"
            + ("s" if acked != 1 else "")
            + ": SND.UNA={snd_una}."
        )
    elif (
        isinstance(acked, int)
        and acked > 0
        and key is not ReceiveKey.SYN_SENT_SYN_ACK
        and len(parts) == 1
        and not handshake
    ):
        parts.append("Its ACK covers {acked} more: SND.UNA={snd_una}.")
    elif isinstance(dup, int) and dup > 0 and fields.get("n") == 0 and key is ReceiveKey.ACK_PROCESSED:
        parts.append(
            "Duplicate ACK #{dupacks}: the same ack={seg_ack} again while data is outstanding: something is missing."
        )
    if not parts:
        if fields.get("n"):
            parts.append("{n} bytes that {who} already has (a duplicate): nothing new.")
        else:
            parts.append("An ACK that acknowledges nothing new (ack={seg_ack}); window {wnd}.")
    return " ".join(parts).format(**fields)
