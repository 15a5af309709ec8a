"""A session flooded with events, in a process of its own so that its memory is its own.

``python flood_client.py PORT COUNT``: logs in to the embedded server at 127.0.0.1:PORT (as
admin, events on, the default bounded queue), prints ``{"ready": rss}`` and waits for COUNT
events, which the parent asks the server to write. Meanwhile it samples its resident set
size every 5 ms; at the end it prints one JSON line: the RSS before, the highest seen, after
the flood, after draining the queue, and what the session counted.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sdk import Session  # noqa: E402

PAGE = 4096


def rss() -> int:
    """Resident set size in bytes, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def peak_rss() -> int:
    """The highest RSS of this process so far (VmHWM), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main() -> None:
    port, count = int(sys.argv[1]), int(sys.argv[2])
    logger = logging.getLogger("sdk")  # the dropped events are logged: made, then dropped
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    received = 0
    done = threading.Event()

    def on_event(event: object) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    with Session("127.0.0.1", port, username="admin", secret="s3cret", events=True) as ami:
        ami.on("PeerEntry", on_event)
        before = rss()
        hwm_reset = reset_peak()
        highest = before
        print(json.dumps({"ready": before}), flush=True)
        start = time.perf_counter()
        while not done.wait(0.005):
            highest = max(highest, rss())
            if time.perf_counter() - start > 600:
                break
        elapsed = time.perf_counter() - start
        highest = max(highest, rss(), peak_rss() if hwm_reset else 0)
        after = rss()
        queued = sum(1 for _ in ami.events(timeout=0))
        drained = rss()
        result = {
            "received": received,
            "queued": queued,
            "dropped": ami.dropped_events,
            "seconds": elapsed,
            "rss_before": before,
            "rss_peak": highest,
            "rss_after": after,
            "rss_drained": drained,
            "peak_from": "VmHWM and samples" if hwm_reset else "samples every 5 ms",
        }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
