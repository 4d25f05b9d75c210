"""The keys of the explanations: which sentence of ``explain`` a note selects.

One enum per kind of note (the three timer kinds share ``TimerKey``).  The values are
the words the JSON trace writes as an event's ``key``, so they never change.
"""

from __future__ import annotations

import enum
from typing import TypeAlias


class SendKey(enum.StrEnum):
    """Why a segment is sent (``explain.SEND``), or sent again (``explain.RESENT``)."""

    SYN = "syn"
    SYN_ACK = "syn_ack"
    SYN_ACK_SIMULTANEOUS = "syn_ack_simultaneous"
    SYN_ACK_FAST_OPEN = "syn_ack_fast_open"
    SYN_ACK_COOKIE = "syn_ack_cookie"
    SYN_ACK_ECN = "syn_ack_ecn"
    ACK_OF_SYN = "ack_of_syn"
    ACK_SIMULTANEOUS_SYN_ACK = "ack_simultaneous_syn_ack"
    DATA = "data"
    FIN = "fin"
    FIN_WITH_DATA = "fin_with_data"
    FIN_ACKS_FIN = "fin_acks_fin"
    ZERO_WINDOW_PROBE = "zero_window_probe"
    ZERO_WINDOW_PROBE_EMPTY = "zero_window_probe_empty"
    CORK_PROBE = "cork_probe"
    WINDOW_PROBE_PART = "window_probe_part"
    ACK_PAWS = "ack_paws"
    ACK_QUICK = "ack_quick"
    ACK_DEFERRED = "ack_deferred"
    ACK_PUSHED_READ = "ack_pushed_read"
    ACK_DATA = "ack_data"
    ACK_EVERY_SECOND = "ack_every_second"
    ACK_DELAYED = "ack_delayed"
    ACK_FILLS_GAP = "ack_fills_gap"
    ACK_FIN = "ack_fin"
    ACK_FIN_DELAYED = "ack_fin_delayed"
    ACK_TIME_WAIT = "ack_time_wait"
    ACK_FIN_AGAIN = "ack_fin_again"
    ACK_OUT_OF_ORDER = "ack_out_of_order"
    ACK_UNACCEPTABLE = "ack_unacceptable"
    ACK_WINDOW_FULL = "ack_window_full"
    ACK_UNACCEPTABLE_SYN = "ack_unacceptable_syn"
    ACK_FOR_UNSENT = "ack_for_unsent"
    CHALLENGE_ACK_SYN = "challenge_ack_syn"
    CHALLENGE_ACK_RST = "challenge_ack_rst"
    CHALLENGE_ACK_OLD_ACK = "challenge_ack_old_ack"
    WINDOW_UPDATE = "window_update"
    RST_CLOSED_ACK = "rst_closed_ack"
    RST_CLOSED_NOACK = "rst_closed_noack"
    RST_LISTEN_ACK = "rst_listen_ack"
    RST_SYN_SENT_BAD_ACK = "rst_syn_sent_bad_ack"
    RST_SYN_SENT_BAD_TSECR = "rst_syn_sent_bad_tsecr"
    RST_SYN_RECEIVED_BAD_ACK = "rst_syn_received_bad_ack"
    RST_SYN_IN_WINDOW = "rst_syn_in_window"
    RST_ABORT = "rst_abort"
    RST_KEEPALIVE_TIMEOUT = "rst_keepalive_timeout"
    KEEPALIVE_PROBE = "keepalive_probe"
    ACK_KEEPALIVE = "ack_keepalive"
    RST_UNREAD_DATA = "rst_unread_data"
    RST_DATA_AFTER_CLOSE = "rst_data_after_close"
    RST_DATA_AFTER_CLOSE_ANSWER = "rst_data_after_close_answer"
    # sent again (explain.RESENT)
    RTO_RETRANSMIT = "rto_retransmit"
    FAST_RETRANSMIT = "fast_retransmit"
    PROBE_AGAIN = "probe_again"
    SYN_ACK_AGAIN = "syn_ack_again"
    PROBE_AFTER_OPEN = "probe_after_open"
    PARTIAL_ACK_RETRANSMIT = "partial_ack_retransmit"
    LOSS_RETRANSMIT = "loss_retransmit"
    SACK_RETRANSMIT = "sack_retransmit"
    RACK_RETRANSMIT = "rack_retransmit"
    LOSS_PROBE = "loss_probe"
    LOSS_PROBE_NEW = "loss_probe_new"
    SYN_DATA_AGAIN = "syn_data_again"


class ReceiveKey(enum.StrEnum):
    """What the endpoint did with a segment that arrived (``explain.RECEIVE``)."""

    CLOSED_RESET = "closed_reset"
    CLOSED_RST_IGNORED = "closed_rst_ignored"
    LISTEN_RST_IGNORED = "listen_rst_ignored"
    LISTEN_ACK_RESET = "listen_ack_reset"
    LISTEN_OTHER_DROPPED = "listen_other_dropped"
    LISTEN_SYN = "listen_syn"
    LISTEN_SYN_WITH_DATA = "listen_syn_with_data"
    LISTEN_SYN_DATA_DROPPED = "listen_syn_data_dropped"
    LISTEN_SYN_FAST_OPEN = "listen_syn_fast_open"
    SYN_SENT_BAD_ACK = "syn_sent_bad_ack"
    SYN_SENT_BAD_TSECR = "syn_sent_bad_tsecr"
    SYN_SENT_BAD_ACK_RST_DROPPED = "syn_sent_bad_ack_rst_dropped"
    SYN_SENT_RST = "syn_sent_rst"
    SYN_SENT_RST_NO_ACK = "syn_sent_rst_no_ack"
    SYN_SENT_NO_SYN = "syn_sent_no_syn"
    SYN_SENT_SYN_ACK = "syn_sent_syn_ack"
    SYN_SENT_SYN = "syn_sent_syn"
    SYN_RECEIVED_DUP_SYN = "syn_received_dup_syn"
    SYN_RECEIVED_DUP_SYN_LIMITED = "syn_received_dup_syn_limited"
    UNACCEPTABLE_RST_DROPPED = "unacceptable_rst_dropped"
    FIN_AGAIN = "fin_again"
    UNACCEPTABLE = "unacceptable"
    KEEPALIVE_PROBE = "keepalive_probe"
    PAWS_REJECTED = "paws_rejected"
    OUT_OF_WINDOW_LIMITED = "out_of_window_limited"
    CHALLENGE_SYN = "challenge_syn"
    SYN_IN_SYN_RECEIVED = "syn_in_syn_received"
    SYN_IN_WINDOW_RESET = "syn_in_window_reset"
    NO_ACK_DROPPED = "no_ack_dropped"
    ACK_TOO_OLD = "ack_too_old"
    SYN_RECEIVED_BAD_ACK = "syn_received_bad_ack"
    LAST_ACK_DONE = "last_ack_done"
    TEXT_AFTER_FIN_IGNORED = "text_after_fin_ignored"
    CHALLENGE_RST = "challenge_rst"
    RST_BACK_TO_LISTEN = "rst_back_to_listen"
    RST_REFUSED = "rst_refused"
    RST_CLOSED = "rst_closed"
    RST_RESET = "rst_reset"
    TIME_WAIT_IGNORED = "time_wait_ignored"
    ACK_FOR_UNSENT = "ack_for_unsent"
    ACK_FOR_UNSENT_DROPPED = "ack_for_unsent_dropped"
    WINDOW_FULL = "window_full"
    CLOSING_FIN_ACKED = "closing_fin_acked"
    OUT_OF_ORDER = "out_of_order"
    DATA_AFTER_CLOSE_RESET = "data_after_close_reset"
    GAP_FILLED = "gap_filled"
    FIN_RECEIVED = "fin_received"
    DATA_ACCEPTED = "data_accepted"
    ACK_PROCESSED = "ack_processed"
    TIME_WAIT_NO_ACK_DROPPED = "time_wait_no_ack_dropped"
    TIME_WAIT_ACKED = "time_wait_acked"
    RST_TIME_WAIT_IGNORED = "rst_time_wait_ignored"
    OLD_SEGMENT_ACK_CLOSED = "old_segment_ack_closed"
    SYNFIN_DROPPED = "synfin_dropped"


class StateKey(enum.StrEnum):
    """Why the state changed (``explain.STATE``)."""

    LISTEN = "listen"
    LISTEN_CHILD = "listen_child"
    CONNECT = "connect"
    RCV_SYN = "rcv_syn"
    RCV_SYN_ACK = "rcv_syn_ack"
    RCV_SYN_SIMULTANEOUS = "rcv_syn_simultaneous"
    RCV_ACK_OF_SYN = "rcv_ack_of_syn"
    CLOSE = "close"
    CLOSE_AFTER_FIN = "close_after_fin"
    CLOSE_BEFORE_SYNC = "close_before_sync"
    ABORT_QUIET = "abort_quiet"
    RCV_FIN = "rcv_fin"
    RCV_FIN_SIMULTANEOUS = "rcv_fin_simultaneous"
    RCV_FIN_FIN_WAIT_1_ACKED = "rcv_fin_fin_wait_1_acked"
    RCV_FIN_FIN_WAIT_2 = "rcv_fin_fin_wait_2"
    FIN_ACKED = "fin_acked"
    FIN_ACKED_CLOSING = "fin_acked_closing"
    FIN_ACKED_LAST_ACK = "fin_acked_last_ack"
    TIME_WAIT_OVER = "time_wait_over"
    SYN_IN_SYN_RECEIVED = "syn_in_syn_received"
    RST_IN_SYN_RECEIVED = "rst_in_syn_received"
    RST_REFUSED = "rst_refused"
    RST_WHILE_CLOSING = "rst_while_closing"
    RST_RESET = "rst_reset"
    SYN_SENT_RST = "syn_sent_rst"
    GAVE_UP = "gave_up"
    KEEPALIVE_TIMEOUT = "keepalive_timeout"
    SYN_IN_WINDOW_RESET = "syn_in_window_reset"
    RST_ABORT = "rst_abort"
    RST_UNREAD_DATA = "rst_unread_data"
    RST_DATA_AFTER_CLOSE = "rst_data_after_close"
    TIME_WAIT_REOPENED = "time_wait_reopened"
    CRASH = "crash"


class TimerKey(enum.StrEnum):
    """Which timer was set, fired or stopped (``explain.TIMER``); ``Timer``'s values."""

    RETRANSMIT = "retransmission"
    PERSIST = "persist"
    DELAYED_ACK = "delayed-ACK"
    TIME_WAIT = "TIME-WAIT"
    ESTABLISH = "connection-establishment"
    KEEPALIVE = "keep-alive"
    REORDER = "RACK reordering"
    LOSS_PROBE = "tail loss probe"


class DataKey(enum.StrEnum):
    """Bytes became readable (``explain.DATA``)."""

    DATA = "data"


class EofKey(enum.StrEnum):
    """The application will read end of stream (``explain.EOF``)."""

    EOF = "eof"


class ErrorKey(enum.StrEnum):
    """Why the connection failed (``explain.ERROR``); also ``Endpoint.error``."""

    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"


class InfoKey(enum.StrEnum):
    """A change worth telling (``explain.INFO``)."""

    RTT_SAMPLE = "rtt_sample"
    CE_RECEIVED = "ce_received"


class CongestionKey(enum.StrEnum):
    """Why cwnd or ssthresh changed (``explain.CONGESTION``; see ``congestion``)."""

    INITIAL_WINDOW = "initial_window"
    INITIAL_WINDOW_RFC5681 = "initial_window_rfc5681"
    INITIAL_WINDOW_AFTER_SYN_LOSS = "initial_window_after_syn_loss"
    SLOW_START = "slow_start"
    AVOIDANCE = "avoidance"
    CUBIC_GROWTH = "cubic_growth"
    CUBIC_RENO_FRIENDLY = "cubic_reno_friendly"
    FAST_RECOVERY = "fast_recovery"
    FAST_RECOVERY_CUBIC = "fast_recovery_cubic"
    FAST_RECOVERY_INFLATE = "fast_recovery_inflate"
    NO_SECOND_REDUCTION = "no_second_reduction"
    PARTIAL_ACK = "partial_ack"
    FULL_ACK = "full_ack"
    TIMEOUT = "timeout"
    TIMEOUT_CUBIC = "timeout_cubic"
    TIMEOUT_AGAIN = "timeout_again"
    SACK_RECOVERY = "sack_recovery"
    RACK_RECOVERY = "rack_recovery"
    PROBE_REPAIRED = "probe_repaired"
    PRR = "prr"
    HYSTART_ACK_TRAIN = "hystart_ack_train"
    HYSTART_DELAY = "hystart_delay"
    PRR_SLOW_START = "prr_slow_start"
    RESTART_AFTER_IDLE = "restart_after_idle"
    ECN_ECHO = "ecn_echo"
    ECN_ECHO_PRR = "ecn_echo_prr"
    RECOVERY_IN_CWR = "recovery_in_cwr"
    CWR_OVER = "cwr_over"


class AppKey(enum.StrEnum):
    """The user call the application made (``explain.APP``)."""

    LISTEN = "listen"
    CONNECT = "connect"
    SEND = "send"
    READ = "read"
    CLOSE = "close"
    SHUTDOWN = "shutdown"
    ABORT = "abort"
    CRASH = "crash"


# The key of any note.
NoteKey: TypeAlias = (
    SendKey | ReceiveKey | StateKey | TimerKey | DataKey | EofKey | ErrorKey | InfoKey | CongestionKey | AppKey
)
