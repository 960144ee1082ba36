"""The tests' own servers listen on ports no client can be handed as its source port."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.reliability.servers import PORTS, free_port


def _ephemeral_range() -> range:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return range(int(low), int(high) + 1)


def test_the_test_ports_lie_outside_the_ephemeral_range() -> None:
    """A poll of a port in that range can connect to itself and read its own request back."""
    ephemeral = _ephemeral_range()
    assert PORTS.stop <= ephemeral.start or PORTS.start >= ephemeral.stop


def test_a_free_port_is_one_of_them_and_can_be_bound() -> None:
    port = free_port()
    assert port in PORTS
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
