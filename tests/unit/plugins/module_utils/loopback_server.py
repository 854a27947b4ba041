# -*- coding: utf-8 -*-
"""A loopback listener for the probe client tests (a test helper, not a test module)."""

from __future__ import annotations

import socket
import threading
from typing import Callable


class LoopbackServer:
    """Listens on 127.0.0.1 and runs ``handle(conn)`` for each connection in a daemon thread."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle = handle
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(5)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


def answering(response: bytes) -> LoopbackServer:
    """A server that reads what a client sends, answers with ``response`` and closes."""
    def handle(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(response)
    return LoopbackServer(handle)
