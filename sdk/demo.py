"""``make demo``: re-provision a phone with a SIP NOTIFY check-sync, end to end.

Without ``AMI_URL`` it starts the embedded AMI server with one phone and shows the SIP NOTIFY
the server would send. With ``AMI_URL=ami://user@host:port`` and ``AMI_SECRET`` it talks to
that server instead (``AMI_DEMO_CHANNEL`` names the peer or endpoint, default ``phone1``).
The action is the one the server offers, as ``sdk.notify.send_notify`` picks it: SIPnotify
where chan_sip runs (the embedded server plays an Asterisk 20 with it), PJSIPNotify on a
res_pjsip Asterisk (every one from 21 on).
"""

from __future__ import annotations

import contextlib
import os
import sys

from sdk import AMIError, Session, pipes
from sdk.display import mask_url, terminal_text
from sdk.errors import url_words
from sdk.notify import build_notify, notify_method
from sdk.testing import AMIServer


def _section(title: str, body: str) -> None:
    print(f"--- {title} " + "-" * max(0, 60 - len(title)))
    print(terminal_text(body.rstrip("\r\n").replace("\r\n", "\n"), keep="\n\t"))
    print()


def main() -> int:
    url = os.environ.get("AMI_URL")
    channel = os.environ.get("AMI_DEMO_CHANNEL", "phone1")
    with contextlib.ExitStack() as stack:
        pbx: AMIServer | None = None
        try:
            if url:
                print(f"Connecting to {terminal_text(mask_url(url))} (secret from AMI_SECRET)\n")
                session = stack.enter_context(Session.from_url(url))
            else:
                pbx = stack.enter_context(AMIServer())
                pbx.add_user("admin", "s3cret")
                pbx.add_sip_peer(channel, "127.0.0.1", 5070)
                print(
                    f"Embedded AMI server (as Asterisk {pbx.asterisk_version}) on {pbx.host}:{pbx.port}"
                )
                print(f"with user admin and SIP peer {channel} at 127.0.0.1:5070\n")
                session = stack.enter_context(
                    Session(pbx.host, pbx.port, username="admin", secret="s3cret", auth="md5")
                )
            version = terminal_text(session.ami_version or "?")
            print(f"Logged in with an MD5 challenge; server speaks AMI {version}\n")

            method = notify_method(session)  # by the server's ListCommands answer
            print(f"The server offers {method}: the NOTIFY goes out with it\n")
            action = build_notify(method, channel, event="check-sync", action_id="demo-1")
            _section("action as sent", action.describe())
            response = session.send(action)
            _section("response", str(response))
            if pbx is not None and pbx.notifies:
                _section("SIP NOTIFY the server would send to the phone", pbx.notifies[-1].text)
            session.close()
            print("Logged off.")
            return 0 if response.ok else 1
        except (AMIError, ValueError) as exc:  # ValueError: a bad AMI_URL, say
            print(f"demo failed: {terminal_text(url_words(exc))}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    pipes.run(main)  # quietly when its reader goes away (python -m sdk.demo | head)
