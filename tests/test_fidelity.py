"""On simple conversations the model puts on the wire what Linux does."""

from simulator import load

from .conftest import iter_sends


def test_request_reply_and_client_close_match_linux_segment_for_segment():
    # tcpdump of a Linux client/server on loopback: 5-byte request, 5-byte
    # reply, client closes first.  (flags, relative seq, relative ack, len)
    linux = [
        ("S", 0, 0, 0),
        ("SA", 0, 1, 0),
        ("A", 1, 1, 0),
        ("PA", 1, 1, 5),
        ("A", 1, 6, 0),
        ("PA", 1, 6, 5),
        ("A", 6, 6, 0),
        ("FA", 6, 6, 0),
        ("FA", 6, 7, 0),
        ("A", 7, 7, 0),
    ]
    trace = load("graceful_close").run()
    isn = {5000: 5000, 40000: 1000}
    model = []
    for s in iter_sends(trace):
        own, peer = isn[s.src_port], isn[s.dst_port]
        ack = s.ack.since(peer) if s.ack or s.flags.letters != "S" else 0
        model.append((s.flags.letters, s.seq.since(own), ack, len(s.payload)))
    assert model == linux
