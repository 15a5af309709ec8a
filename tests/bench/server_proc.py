"""The embedded AMI server in a process of its own, for the session benchmarks.

A PBX is another process: run here, the server's work does not share the client's
interpreter (and its GIL), so what is measured is the client. It prints ``{"port": N}``,
then takes one JSON command a line on stdin and answers each with one JSON line:

- ``{"flood": n}``: write ``n`` PeerEntry events (15 lines each) to every logged-in client
  as fast as it reads them (``inject``, a batch whenever less than 1 MiB waits to be sent);
- ``{"forget": true}``: clear what the server recorded (requests, NOTIFYs), so that a long
  run does not grow the server.

It ends when stdin closes.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from inputs import peer_entry  # noqa: E402

from sdk.testing import AMIServer  # noqa: E402

BATCH = 1000
BACKLOG = 1 << 20


def flood(server: AMIServer, count: int) -> int:
    deadline = time.monotonic() + 10
    while not any(c.authenticated for c in server.connections):
        if time.monotonic() > deadline:
            raise RuntimeError("no client logged in to flood")
        time.sleep(0.01)
    clients = [c for c in server.connections if c.authenticated]
    batch = b"".join(peer_entry(n) for n in range(BATCH))
    sent = 0
    while sent < count:
        if any(c.closed for c in clients):
            break
        if max(c.transport.backlog for c in clients) > BACKLOG:
            time.sleep(0.0005)
            continue
        n = min(BATCH, count - sent)
        server.inject(batch if n == BATCH else b"".join(peer_entry(i) for i in range(n)))
        sent += n
    return sent


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    with AMIServer.as_recorded("20") as server:
        print(json.dumps({"port": server.port}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if "flood" in command:
                answer: dict[str, object] = {"flooded": flood(server, int(command["flood"]))}
            elif command.get("forget"):
                server.received.clear()
                server.notifies.clear()
                answer = {"forgot": True}
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
