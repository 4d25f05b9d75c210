"""The sentences that explain each step to a student, kept apart from the logic.

``explain(note, who, peer)`` turns one endpoint report into one sentence.
Numbers are absolute sequence numbers, as on the wire.
"""

from __future__ import annotations

from .notes import Note, NoteKind
from .segment import Flags

# What a segment the endpoint sends means, by the key the endpoint gave it.
SEND = {
    "syn": "{who} opens the connection: its SYN carries its initial sequence number (ISN) {seq}. "
    "The SYN itself occupies one sequence number, so {who}'s first data byte will be {end}.",
    "syn_ack": "{who} answers the SYN with a SYN of its own (its ISN is {seq}) and ack={ack}: "
    "{peer}'s ISN {irs} + 1, because a SYN occupies one sequence number.",
    "syn_ack_simultaneous": "Both sides sent a SYN at once (simultaneous open): {who} acknowledges "
    "{peer}'s SYN with ack={ack} ({irs} + 1) and repeats its own SYN (seq={seq}).",
    "ack_of_syn": "{who} completes the three-way handshake: ack={ack} ({irs} + 1) acknowledges {peer}'s SYN; "
    "seq={seq} because {who}'s own SYN used up {iss}.",
    "data": "{who} sends {n} bytes, sequence numbers {seq}..{last}; the next new byte will be {end}. "
    "ack={ack} still says which byte {who} expects next.",
    "fin": "{who} has no more data to send: its FIN (seq={seq}) occupies one sequence number, "
    "so {peer} will acknowledge {end}. {who} can still receive.",
    "fin_with_data": "{who} sends its last {n} bytes ({seq}..{last}) and, in the same segment, its FIN; "
    "the FIN takes sequence number {fin_seq}, so {peer} will acknowledge {end}.",
    "fin_acks_fin": "{who} closes its side too: the FIN (seq={seq}) also carries ack={ack}, "
    "acknowledging {peer}'s FIN, which occupied one sequence number.",
    "zero_window_probe": "{peer}'s window is zero, so the persist timer fired: {who} probes with one byte "
    "(seq={seq}) to make {peer} report its window again (RFC 9293 section 3.8.6.1).",
    "ack_data": "{who} acknowledges the data: ack={ack} is the next byte it expects (acknowledgements are cumulative).",
    "ack_every_second": "Delayed ACKs: this is the second full-sized segment since the last ACK, so {who} "
    "acknowledges now (RFC 1122: at least every second segment), ack={ack}.",
    "ack_delayed": "The delayed-ACK timer expired: {who} acknowledges what arrived since the last ACK, ack={ack}.",
    "ack_fills_gap": "The missing bytes arrived and filled the gap: {who} acknowledges everything it now holds "
    "in order, ack={ack} (RFC 5681 section 4.2: ACK at once when a gap is filled).",
    "ack_fin": "{who} acknowledges {peer}'s FIN: ack={ack}, one more than the FIN's sequence number, "
    "because a FIN occupies one sequence number.",
    "ack_fin_delayed": "{who} acknowledges {peer}'s FIN (ack={ack}); the ACK waited briefly in case "
    "{who}'s application closed too and a FIN could carry it.",
    "ack_time_wait": "{who} is in TIME-WAIT and restates where it is: seq={seq}, ack={ack}.",
    "ack_fin_again": "The FIN arrived again, so {who}'s ACK of it was probably lost: "
    "{who} acknowledges it again (ack={ack}).",
    "ack_out_of_order": "The segment arrived out of order: {who} expected byte {ack} next, so it repeats "
    "ack={ack} (a duplicate ACK) to tell {peer} what is missing, and keeps the early bytes.",
    "ack_unacceptable": "The segment lies outside {who}'s receive window (an old duplicate or garbage): "
    "RFC 9293 section 3.10.7.4 says to drop it and answer with an ACK that states where {who} is: "
    "seq={seq}, ack={ack}.",
    "ack_window_full": "{who}'s receive window is 0: there is no room for the data, so {who} drops it and "
    "answers with an ACK that repeats ack={ack} and window {wnd}.",
    "ack_unacceptable_syn": "A SYN outside the receive window on a synchronized connection: {who} drops it and "
    "answers with an ACK that states where it is (seq={seq}, ack={ack}).",
    "ack_for_unsent": "The segment acknowledges bytes {who} never sent: {who} drops it and answers with "
    "an ACK of where it really is (seq={seq}, ack={ack}).",
    "challenge_ack_syn": "A SYN on a synchronized connection: instead of resetting (which an attacker could "
    "abuse), {who} sends a challenge ACK (RFC 5961 section 4.2); a real peer that restarted will answer with a RST.",
    "challenge_ack_rst": "A RST inside the window but not exactly at RCV.NXT={rcv_nxt}: {who} does not trust it "
    "and sends a challenge ACK (RFC 5961 section 3.2); only a RST with seq={rcv_nxt} would reset the connection.",
    "challenge_ack_old_ack": "The ACK is older than anything {who} could still have outstanding: "
    "{who} drops the segment and sends a challenge ACK (RFC 5961 section 5.2).",
    "window_update": "{who}'s application read data and the receive window opened to {wnd} bytes: "
    "{who} tells {peer} with a window update (same ack={ack}, new window).",
    "rst_closed_ack": "No connection exists for this segment: {who} answers with a RST whose seq={seq} is "
    "taken from the segment's ACK field, so the sender will accept it (RFC 9293 section 3.10.7.1).",
    "rst_closed_noack": "No connection exists for this segment: {who} answers with a RST; the segment had "
    "no ACK, so the RST has seq=0 and ack={ack} = its SEQ + LEN (RFC 9293 section 3.10.7.1).",
    "rst_listen_ack": "An ACK can not be right for a listening socket (nothing was sent yet): "
    "{who} answers with RST seq={seq} taken from the ACK field (RFC 9293 section 3.10.7.2).",
    "rst_syn_sent_bad_ack": "The ACK does not acknowledge {who}'s SYN (it must be {expected}): it belongs to "
    "some old connection, so {who} resets it with RST seq={seq} (RFC 9293 section 3.10.7.3).",
    "rst_syn_received_bad_ack": "The ACK does not acknowledge {who}'s SYN: {who} answers with RST seq={seq} "
    "(RFC 9293 section 3.10.7.4, fifth step).",
    "rst_syn_in_window": "With RFC 5961 off, a SYN inside the window is an error: {who} resets the connection "
    "(the rule of RFC 793).",
    "rst_abort": "{who}'s application aborts: a RST with seq={seq} tells {peer} to drop the connection at once; "
    "unsent and unacknowledged data is lost.",
    "rst_unread_data": "{who}'s application closed while received data was still unread: {who} resets the "
    "connection to show that data was lost (RFC 1122 section 4.2.2.13).",
    "rst_data_after_close": "Data arrived after {who}'s application had closed the socket, so nobody will read "
    "it: {who} resets the connection (RFC 1122 section 4.2.2.13).",
}

# Why a segment is sent again.
RESENT = {
    "rto_retransmit": "The retransmission timer expired before an ACK came ({who}'s RTO is now {rto} s, "
    "doubled by exponential backoff, RFC 6298 section 5.5): {who} sends the oldest unacknowledged segment again. ",
    "fast_retransmit": "Three duplicate ACKs say that segment {seq} was lost: {who} resends it at once, "
    "without waiting for the timer (fast retransmit, RFC 5681 section 3.2). ",
    "probe_again": "The window is still zero: the persist timer fired again and {who} repeats its probe. ",
    "syn_ack_again": "{peer}'s SYN arrived again, so {who}'s SYN,ACK was probably lost: {who} sends it again. ",
    "probe_after_open": "The window is open again ({wnd_open} bytes), but the probe byte was refused while it "
    "was zero: {who} sends it again before any new data. ",
}

# What the endpoint did with a segment that arrived.
RECEIVE = {
    "closed_reset": "{who} has no connection for this segment (CLOSED): it is answered with a RST.",
    "closed_rst_ignored": "A RST for a connection that does not exist is ignored (a RST is never answered).",
    "listen_rst_ignored": "A listening socket ignores a RST (RFC 9293 section 3.10.7.2).",
    "listen_ack_reset": "A listening socket can not get an ACK for anything: it answers with a RST.",
    "listen_other_dropped": "A listening socket only reacts to a SYN: this segment is dropped.",
    "listen_syn": "{who} receives the SYN: it records {peer}'s ISN (IRS={irs}) and sets RCV.NXT={rcv_nxt} "
    "(the SYN used one sequence number).",
    "listen_syn_with_data": "{who} receives a SYN that carries data (or a FIN): it keeps them and takes "
    "them in order once the handshake is done (RFC 9293 3.10.7.2); for now only the SYN is acknowledged.",
    "syn_sent_bad_ack": "The segment acknowledges something {who} never sent (a leftover of an older connection).",
    "syn_sent_bad_ack_rst_dropped": "A RST with a wrong ACK does not belong to this connection: dropped.",
    "syn_sent_rst": "The SYN was refused: {peer} answered with a RST (nobody listens there).",
    "syn_sent_rst_no_ack": "A RST without an acceptable ACK can not belong to {who}'s SYN: dropped.",
    "syn_sent_no_syn": "While waiting for a SYN, {who} drops a segment that has neither SYN nor RST.",
    "syn_sent_syn_ack": "The SYN,ACK acknowledges {who}'s SYN (ack={seg_ack} = ISS+1) and brings {peer}'s ISN {irs}: "
    "the connection is established on {who}'s side.",
    "syn_sent_syn": "{who} receives a SYN without ACK while its own SYN is out: both opened at once.",
    "syn_received_dup_syn": "{peer}'s SYN arrived a second time.",
    "syn_received_dup_syn_limited": "{peer}'s SYN arrived a second time, but {who} sent its SYN,ACK again only "
    "moments ago: it does not send another (Linux limits such answers to one per 0.5 s).",
    "unacceptable_rst_dropped": "A RST outside the receive window is dropped silently.",
    "fin_again": "A FIN that {who} already has (a retransmission).",
    "unacceptable": "The segment is not acceptable: its sequence numbers lie outside the receive window "
    "(RCV.NXT={rcv_nxt}, RCV.WND={rcv_wnd}).",
    "challenge_syn": "A SYN on a synchronized connection is not trusted.",
    "syn_in_syn_received": "A second, different SYN while in SYN-RECEIVED: "
    "the half-open connection goes back to LISTEN.",
    "syn_in_window_reset": "A SYN inside the window is an error: the connection is reset.",
    "no_ack_dropped": "Every segment after the handshake must carry ACK: this one does not, so it is dropped.",
    "ack_too_old": "The ACK is older than anything that could still be outstanding.",
    "syn_received_bad_ack": "The ACK does not acknowledge {who}'s SYN.",
    "last_ack_done": "The ACK acknowledges {who}'s FIN: {who} was the last to close, so the connection is "
    "deleted at once (no TIME-WAIT on this side).",
    "text_after_fin_ignored": "Data after {peer}'s FIN is ignored: a FIN means no more data will come.",
    "challenge_rst": "The RST is inside the window but not at exactly RCV.NXT.",
    "rst_back_to_listen": "The RST resets the half-open connection: {who} returns to LISTEN.",
    "rst_refused": "The RST answers {who}'s SYN: connection refused.",
    "rst_closed": "The RST ends the closing connection at once.",
    "rst_reset": "The RST is exactly at RCV.NXT: {who} accepts it and drops the connection (connection reset).",
    "time_wait_ignored": "In TIME-WAIT the connection only waits; this segment needs no answer.",
    "ack_for_unsent": "The segment acknowledges data that was never sent.",
    "window_full": "The segment starts at RCV.NXT={rcv_nxt}, but the receive window is 0: its ACK field is "
    "used (RFC 9293 asks for that allowance), its data is not.",
    "closing_fin_acked": "The ACK acknowledges {who}'s FIN: both FINs are acknowledged, {who} waits in TIME-WAIT.",
    "out_of_order": "The segment starts at {seg_seq}, but {who} expects {rcv_nxt}: bytes in between are missing.",
    "data_after_close_reset": "The data can not be delivered: {who}'s application has closed.",
    "gap_filled": "The segment fills the gap: it and the bytes kept from earlier segments are delivered in order; "
    "RCV.NXT={rcv_nxt}.",
    "fin_received": "{peer}'s FIN arrives in order: {peer} will send no more data; RCV.NXT={rcv_nxt} counts the FIN.",
    "data_accepted": "{n} bytes arrive in order and are accepted: RCV.NXT advances to {rcv_nxt}.",
    "ack_processed": "",
    "time_wait_no_ack_dropped": "In TIME-WAIT, a segment without ACK is dropped without an answer (FreeBSD's "
    "TIME-WAIT rules).",
    "time_wait_acked": "In TIME-WAIT, {who} answers anything but an exact duplicate ACK with an ACK of where it "
    "is (FreeBSD's TIME-WAIT rules).",
    "rst_time_wait_ignored": "A RST in TIME-WAIT is ignored (RFC 1337, remedy F1): an old or forged RST must not "
    "cut TIME-WAIT short, or old duplicates could reach a new connection.",
    "old_segment_ack_closed": "An old segment, but its ACK field acknowledges {who}'s FIN: BSD stacks still use "
    "the ACK of a segment they otherwise drop, so the connection is deleted.",
    "synfin_dropped": "A segment with both SYN and FIN makes no sense: {who} drops it silently "
    "(the drop_synfin setting, as FreeBSD can).",
}

# Why a state changes.
STATE = {
    "listen": "{who}'s application listens (passive OPEN).",
    "connect": "{who}'s application connects (active OPEN): SYN sent, waiting for the answer.",
    "rcv_syn": "A SYN arrived: {who} answers with SYN,ACK and waits for the final ACK.",
    "rcv_syn_ack": "{who}'s SYN is acknowledged and {peer}'s SYN received: the connection is open.",
    "rcv_syn_simultaneous": "A SYN arrived while {who}'s own SYN was out: simultaneous open.",
    "rcv_ack_of_syn": "The ACK of {who}'s SYN arrived: both directions are synchronized.",
    "close": "{who}'s application closes: a FIN is queued behind any unsent data.",
    "close_after_fin": "{who}'s application closes after {peer} did: {who} sends its FIN and waits for its ACK.",
    "close_before_sync": "{who}'s application closes before the connection was established: nothing to tell the peer.",
    "abort_quiet": "{who}'s application aborts; no RST is needed in this state.",
    "rcv_fin": "{peer} closed its side (FIN): {who} can still send, and waits for its application to close.",
    "rcv_fin_simultaneous": "{peer}'s FIN arrived before the ACK of {who}'s FIN: both are closing at once.",
    "rcv_fin_fin_wait_1_acked": "{peer}'s FIN also acknowledges {who}'s FIN: straight to TIME-WAIT.",
    "rcv_fin_fin_wait_2": "{peer}'s FIN arrived: both sides are done; {who} waits 2*MSL in TIME-WAIT "
    "so that a lost final ACK can be repeated and old segments die out.",
    "fin_acked": "{who}'s FIN is acknowledged: {who} waits for {peer}'s FIN.",
    "fin_acked_closing": "{who}'s FIN is acknowledged after both sides closed: TIME-WAIT.",
    "fin_acked_last_ack": "{who}'s FIN is acknowledged: the connection is deleted.",
    "time_wait_over": "2*MSL has passed: old segments of this connection can no longer be in the network, "
    "so the connection is deleted.",
    "syn_in_syn_received": "Back to LISTEN: the half-open connection is dropped.",
    "rst_in_syn_received": "Back to LISTEN: the connection that was being set up was reset.",
    "rst_refused": "The connection was refused.",
    "rst_while_closing": "The RST ends the connection.",
    "rst_reset": "Connection reset by {peer}.",
    "syn_sent_rst": "Connection refused.",
    "gave_up": "{who} gave up after too many retransmissions: connection timed out.",
    "syn_in_window_reset": "The connection is reset.",
    "rst_abort": "{who} aborted the connection.",
    "rst_unread_data": "{who} reset the connection (unread data).",
    "rst_data_after_close": "{who} reset the connection (data after close).",
    "time_wait_reopened": "A new SYN with a higher sequence number arrived: {who} ends TIME-WAIT early and lets "
    "the new connection start (RFC 1122 4.2.2.13).",
    "crash": "{who}'s host crashed and restarted: it has forgotten the connection, and tells nobody.",
}

ERROR = {
    "refused": "{who}'s application is told: connection refused.",
    "reset": "{who}'s application is told: connection reset by peer.",
    "timeout": "{who}'s application is told: connection timed out.",
}

APP = {
    "listen": "{who}'s application calls listen() (passive OPEN).",
    "connect": "{who}'s application calls connect() to {remote} (active OPEN).",
    "send": "{who}'s application hands {n} bytes to TCP (SEND).",
    "read": "{who}'s application reads {n} bytes, which frees room in its receive buffer.",
    "close": "{who}'s application calls close(): it will neither send nor read any more.",
    "shutdown": "{who}'s application calls shutdown(SHUT_WR): it will send no more, but still reads (half-close).",
    "abort": "{who}'s application aborts the connection (ABORT).",
    "crash": "{who}'s host crashes and comes back with no memory of its connections.",
}

TIMER = {
    "retransmission": "the retransmission timer (RTO)",
    "persist": "the persist timer (zero-window probe)",
    "delayed-ACK": "the delayed-ACK timer",
    "TIME-WAIT": "the TIME-WAIT timer (2*MSL)",
    "connection-establishment": "the connection-establishment timer",
}


def _fields(note: Note, who: str, peer: str) -> dict[str, object]:
    tcb = note.tcb
    fields: dict[str, object] = {
        "who": who,
        "peer": peer,
        "state": tcb.state.value,
        "iss": int(tcb.iss),
        "irs": int(tcb.irs),
        "rcv_nxt": int(tcb.rcv_nxt),
        "snd_nxt": int(tcb.snd_nxt),
        "snd_una": int(tcb.snd_una),
        "rcv_wnd": tcb.rcv_wnd,
        "expected": int(tcb.iss + 1),
    }
    seg = note.segment
    if seg is not None:
        n = len(seg.payload)
        fields.update(
            seq=int(seg.seq),
            ack=int(seg.ack),
            seg_seq=int(seg.seq),
            seg_ack=int(seg.ack),
            n=n,
            last=int(seg.seq + max(n - 1, 0)),
            end=int(seg.end),
            fin_seq=int(seg.seq + n),
            wnd=seg.window,
        )
    fields.update(note.args)
    return fields


def _resent_what(note: Note) -> str:
    seg = note.segment
    assert seg is not None
    if seg.flags & Flags.SYN:
        return "It is the SYN,ACK again." if seg.flags & Flags.ACK else "It is the SYN again, same ISN."
    if seg.payload:
        fin = " with the FIN" if seg.flags & Flags.FIN else ""
        last = int(seg.seq + (len(seg.payload) - 1))
        return f"Bytes {int(seg.seq)}..{last}{fin} go out again, with the same sequence numbers."
    return "It is the FIN again." if seg.flags & Flags.FIN else "The segment goes out again."


def explain(note: Note, who: str, peer: str, *, rto: float | None = None) -> str:
    """One sentence (or two) saying why this step happened."""
    kind = note.kind
    fields = _fields(note, who, peer)
    if kind is NoteKind.SEND:
        if note.key in RESENT:
            fields["rto"] = f"{rto:g}" if rto is not None else "?"
            fields["wnd_open"] = note.tcb.snd_wnd
            return RESENT[note.key].format(**fields) + _resent_what(note)
        return SEND[note.key].format(**fields)
    if kind is NoteKind.RECEIVE:
        return _received(note, fields)
    if kind is NoteKind.STATE:
        old = note.old_state.value if note.old_state else "?"
        return f"{who}: {old} -> {note.tcb.state.value}. " + STATE[note.key].format(**fields)
    if kind is NoteKind.ERROR:
        return ERROR[note.key].format(**fields)
    if kind is NoteKind.APP:
        return APP[note.key].format(**fields)
    if kind is NoteKind.DATA:
        return f"{fields['n']} bytes are ready for {who}'s application to read."
    if kind is NoteKind.EOF:
        return f"{who}'s application will read end of stream: {peer} sends no more."
    if kind is NoteKind.INFO:
        return (
            f"RTT sample {float(fields['rtt']):.3f} s (Karn: only from a segment sent once): "  # type: ignore[arg-type]
            f"SRTT={float(fields['srtt']):.3f} s, RTO={float(fields['rto']):.3f} s (RFC 6298 section 2)."  # type: ignore[arg-type]
        )
    timer = TIMER[note.key]
    if kind is NoteKind.TIMER_SET:
        return f"{who} sets {timer}, to fire at t={note.deadline:.3f} s."
    if kind is NoteKind.TIMER_FIRED:
        return f"{who}: {timer} fires."
    return f"{who} stops {timer}."


def _received(note: Note, fields: dict[str, object]) -> str:
    parts = []
    handshake = fields.get("before") == "SYN-RECEIVED" and note.tcb.state.synchronized
    if handshake:
        parts.append("The ACK (ack={seg_ack} = ISS + 1) acknowledges {who}'s SYN: the three-way handshake is complete.")
    text = RECEIVE[note.key]
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
    elif isinstance(acked, int) and acked > 0 and note.key != "syn_sent_syn_ack" and len(parts) == 1 and not handshake:
        parts.append("Its ACK covers {acked} more: SND.UNA={snd_una}.")
    elif isinstance(dup, int) and dup > 0 and fields.get("n") == 0 and note.key == "ack_processed":
        parts.append(
            "Duplicate ACK #{dupacks}: the same ack={seg_ack} again while data is outstanding: something is missing."
        )
    if not parts:
        if fields.get("n"):
            parts.append("{n} bytes that {who} already has (a duplicate): nothing new.")
        else:
            parts.append("An ACK that acknowledges nothing new (ack={seg_ack}); window {wnd}.")
    return " ".join(parts).format(**fields)
