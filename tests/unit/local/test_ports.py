"""The local stack checks its ports as its servers bind them: in use is refused, just stopped is free."""

from __future__ import annotations

import socket

import pytest

from arbiter_local.stack import PortInUse, ensure_free


def test_a_port_something_listens_on_is_refused():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} \\(API\\) is already in use"):
            ensure_free("127.0.0.1", port, "API")


def test_a_port_just_released_by_a_stopped_server_is_free():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server closes first: its side of the connection waits in TIME_WAIT
    client.recv(1)
    client.close()
    listener.close()
    ensure_free("127.0.0.1", port, "API")  # a restarted stack may bind it again at once
