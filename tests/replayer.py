"""A fake AMI server that plays a recorded session's server side, byte for byte, in memory.

It sends the recorded banner, then answers each message the client writes with what real
Asterisk answered to the recorded request of the same action, the recorded ActionIDs
rewritten to the client's. So a client can be tested against the real bytes, not only
against the embedded server's emulation of them; there is no socket in between
(``sdk.client.memory``): a session reaches it with ``transport=replayer.transport``.
"""

from __future__ import annotations

import re
from typing import Any

from conftest import load_fixture

from sdk.client.memory import MemoryConnection, MemoryTransport
from sdk.wire.message import Message


class Replayer:
    def __init__(
        self, name: str, version: str = "20.20.1", *, script: list[dict[str, Any]] | None = None
    ) -> None:
        self.exchanges = script if script is not None else load_fixture(name, version)["exchanges"]
        self.requests: list[str] = []
        self._recorded = self._answers()
        self.transport = MemoryTransport(
            banner=self.exchanges[0]["recv"].removesuffix("\r\n"), default=self._answer
        )
        for action in ("Challenge", "Login", "Logoff", "Ping", "UserEvent"):  # none built in
            self.transport.handle(action, self._answer)

    def __enter__(self) -> Replayer:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

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

    def _answer(self, conn: MemoryConnection, request: Message) -> None:
        self.requests.append(str(request))
        name = (request.get("Action") or "").strip().lower()
        mine = (request.get("ActionID") or "").strip()
        conn.authenticated = True  # the recording decides what is allowed
        for index, (recorded, recorded_id, answer) in enumerate(self._recorded):
            if recorded.lower() == name:
                del self._recorded[index]
                conn.write(answer.replace(f"ActionID: {recorded_id}\r\n", f"ActionID: {mine}\r\n"))
                return
        if name == "logoff":
            conn.write(
                f"Response: Goodbye\r\nActionID: {mine}\r\nMessage: Thanks for all the fish.\r\n\r\n"
            )
            conn.close()
        # anything else: no answer, as the recording has none
