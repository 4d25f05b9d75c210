"""A TUN device inside a private namespace: the wire between the model and the kernel.

The kernel side has ``KERNEL_ADDR`` on the device and reaches ``MODEL_ADDR``
through it; every IP packet it sends there is read here, and every packet
written here is received by the kernel as if it came from ``MODEL_ADDR``.
Both addresses exist only inside the namespace, which has no other interface.
"""

from __future__ import annotations

import fcntl
import os
import struct

from .namespace import LiveError, Namespace

KERNEL_ADDR = "10.77.0.1"
MODEL_ADDR = "10.77.0.2"
DEVICE = "tcpsim0"
MTU = 1500
_TUNSETIFF = 0x400454CA
_IFF_TUN = 0x0001
_IFF_NO_PI = 0x1000


class Tun:
    """The device's file: ``read`` returns one IP packet or None, ``write`` sends one."""

    def __init__(self, ns: Namespace) -> None:
        with ns.entered():
            try:
                self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            except OSError as exc:
                raise LiveError(f"cannot open /dev/net/tun: {exc.strerror} (is the tun module loaded?)") from None
            fcntl.ioctl(self.fd, _TUNSETIFF, struct.pack("16sH", DEVICE.encode(), _IFF_TUN | _IFF_NO_PI))
        ns.run(["sysctl", "-qw", f"net.ipv6.conf.{DEVICE}.disable_ipv6=1"])  # no IPv6 chatter on the wire
        ns.run(["ip", "addr", "add", KERNEL_ADDR, "peer", MODEL_ADDR, "dev", DEVICE])
        ns.run(["ip", "link", "set", DEVICE, "mtu", str(MTU), "up"])

    def fileno(self) -> int:
        return self.fd

    def read(self) -> bytes | None:
        try:
            return os.read(self.fd, 65536)
        except BlockingIOError:
            return None

    def write(self, packet: bytes) -> None:
        os.write(self.fd, packet)

    def close(self) -> None:
        os.close(self.fd)
