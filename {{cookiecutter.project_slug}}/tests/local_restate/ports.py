"""Free ports on 127.0.0.1, for every server the tests start."""

import random
import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A free 127.0.0.1 port below the ephemeral range (32768+ on Linux), so that no outgoing
    connection (say, between cluster nodes) takes it between now and the server's bind."""
    for _ in range(1000):
        port = random.randrange(20000, 32000)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port between 20000 and 32000")
