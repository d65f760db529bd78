"""Static files are closed however the request ends, even when the browser drops the connection."""

from __future__ import annotations

import gc
import socket
import struct
import time
import warnings

import pytest


def request_and_reset(port: int, path: str) -> None:
    """Send a GET and reset the connection once the answer starts, as a browser leaving a page may."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    sock.recv(1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("path", ["/assets/images/favicon.svg", "/vendor/nhsuk/nhsuk-frontend.min.css"])
def test_a_file_whose_request_is_dropped_is_still_closed(live_server, path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(20):
            request_and_reset(live_server.server_port, path)
        time.sleep(0.5)  # the server's threads finish with the dropped requests
        gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []
