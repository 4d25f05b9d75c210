"""SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a pure function.

Linux makes its TCP Fast Open cookies with it (net/ipv4/tcp_fastopen.c, __tcp_fastopen_cookie_gen_cipher);
``hashlib`` does not offer it, so here it is from the paper's description, over 64-bit words.
"""

from __future__ import annotations

__all__ = ["siphash24"]

_MASK = (1 << 64) - 1


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def _rounds(v: list[int], count: int) -> None:
    """``count`` SipRounds over the state (the paper's section 2)."""
    v0, v1, v2, v3 = v
    for _ in range(count):
        v0 = (v0 + v1) & _MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    v[:] = [v0, v1, v2, v3]


def siphash24(key: bytes, message: bytes) -> bytes:
    """The 8-byte SipHash-2-4 of ``message`` under the 16-byte ``key`` (its output word, little-endian)."""
    if len(key) != 16:
        raise ValueError("a SipHash key is 16 bytes")
    k0, k1 = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    # the last word holds the message's length (mod 256) in its top byte, above the bytes left over
    tail = len(message) - len(message) % 8
    words = [int.from_bytes(message[i : i + 8], "little") for i in range(0, tail, 8)]
    words.append(((len(message) & 0xFF) << 56) | int.from_bytes(message[tail:], "little"))
    for m in words:  # compression: c = 2 rounds per word
        v[3] ^= m
        _rounds(v, 2)
        v[0] ^= m
    v[2] ^= 0xFF  # finalization: d = 4 rounds
    _rounds(v, 4)
    return (v[0] ^ v[1] ^ v[2] ^ v[3]).to_bytes(8, "little")
