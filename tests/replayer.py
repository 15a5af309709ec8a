"""A fake AMI server that plays a recorded session's server side, byte for byte.

It sends the recorded banner, then answers each message the client writes with what real
Asterisk answered to the recorded request of the same action, the recorded ActionIDs
rewritten to the client's. So a client can be tested against the real bytes, not only
against the embedded server's emulation of them.
"""

from __future__ import annotations

import re
import socket
import threading
from typing import Any

from conftest import load_fixture


class Replayer:
    def __init__(
        self, name: str, version: str = "20.20.1", *, script: list[dict[str, Any]] | None = None
    ) -> None:
        self.exchanges = script if script is not None else load_fixture(name, version)["exchanges"]
        self._server = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._server.getsockname()[:2]
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self._serve, name="replayer")

    def __enter__(self) -> Replayer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()
        self._thread.join(5)

    def _answers(self) -> list[tuple[str, str, str]]:
        """(action, recorded ActionID, recorded answer) for each recorded request."""
        out = []
        pending: tuple[str, str] | None = None
        for exchange in self.exchanges[1:]:
            if "send" in exchange:
                text = exchange["send"]
                action = re.search(r"(?im)^action: *(.*?)\r?$", text)
                action_id = re.search(r"(?im)^actionid: *(.*?)\r?$", text)
                pending = (
                    action.group(1) if action else "",
                    action_id.group(1) if action_id else "",
                )
            elif "recv" in exchange and pending is not None:
                out.append((*pending, exchange["recv"]))
                pending = None
        return out

    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        answers = self._answers()
        with conn:
            conn.sendall(self.exchanges[0]["recv"].encode())
            buffer = b""
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    raw, buffer = buffer.split(b"\r\n\r\n", 1)
                    text = raw.decode()
                    self.requests.append(text)
                    action = re.search(r"(?im)^action: *(.*)$", text)
                    action_id = re.search(r"(?im)^actionid: *(.*)$", text)
                    name = action.group(1).strip().lower() if action else ""
                    mine = action_id.group(1).strip() if action_id else ""
                    for index, (recorded, recorded_id, answer) in enumerate(answers):
                        if recorded.lower() == name:
                            del answers[index]
                            conn.sendall(
                                answer.replace(
                                    f"ActionID: {recorded_id}\r\n", f"ActionID: {mine}\r\n"
                                ).encode()
                            )
                            break
                    else:
                        if name == "logoff":
                            conn.sendall(
                                f"Response: Goodbye\r\nActionID: {mine}\r\nMessage: Thanks for all the fish.\r\n\r\n".encode()
                            )
                            return
