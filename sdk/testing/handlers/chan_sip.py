"""chan_sip's manager actions and CLI, as Asterisk 20.20.1 answered them in the recordings."""

from __future__ import annotations

import ipaddress

from sdk.actions import ACTIONS
from sdk.model.received import Received
from sdk.testing.context import Context, Handler
from sdk.testing.handlers.core import cli_command
from sdk.testing.handlers.lists import echo_id, send_list
from sdk.testing.pbx import SipPeer
from sdk.testing.request import ReceivedMessage
from sdk.testing.sip import build_chan_sip_notify

__all__ = ["HANDLERS"]


def _strip_prefix(name: str) -> str:
    return name[4:] if name[:4].lower() == "sip/" else name


def _address(peers: dict[str, SipPeer], name: str) -> tuple[str | None, tuple[str, int] | None]:
    """chan_sip's ``create_addr``: a peer with an address, else an IP literal with a port."""
    peer = peers.get(name)  # chan_sip finds peers by their exact name
    if peer is not None:
        return peer.name, peer.address
    host, _, port = name.rpartition(":") if name.count(":") == 1 else (name, "", "")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None, None  # the embedded server resolves no DNS names
    try:
        return None, (host, int(port) if port else 5060)
    except ValueError:
        return None, None


def sip_notify(ctx: Context, request: ReceivedMessage) -> None:
    action = Received(ACTIONS["SIPnotify"], request)  # as chan_sip reads it: not validated
    channel = action.channel or ""
    if not channel:
        ctx.error(request, "SIPNotify requires a channel name")
        return
    channel = _strip_prefix(channel)
    call_id = action.call_id or None
    if call_id is not None and call_id not in ctx.pbx.dialogs:
        ctx.error(request, "Call-ID not found")
        return
    peer, address = _address(ctx.pbx.sip_peers, channel)
    if address is None:
        ctx.error(request, "Could not create address")
        return
    notify = build_chan_sip_notify(
        peer=peer,
        address=address,
        variables=list(action.variables),
        local=ctx.pbx.sip_address,
        user_agent=f"Asterisk PBX {ctx.asterisk_version}",
        call_id=call_id,
    )
    ctx.record_notify(notify)
    ctx.ack(request, "Notify Sent")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def sip_peers(ctx: Context, request: ReceivedMessage) -> None:
    items = [
        (
            "PeerEntry",
            echo_id(request)
            + [
                ("Channeltype", "SIP"),
                ("ObjectName", peer.name),
                ("ChanObjectType", "peer"),
                ("IPaddress", peer.host or "-none-"),
                ("IPport", str(peer.port if peer.host else 0)),
                ("Dynamic", _yes(peer.host is None)),
                ("AutoForcerport", "yes"),
                ("Forcerport", "no"),
                ("AutoComedia", "no"),
                ("Comedia", "no"),
                ("VideoSupport", "no"),
                ("TextSupport", "no"),
                ("ACL", "no"),
                ("Status", "Unmonitored"),
                ("RealtimeDevice", "no"),
                ("Description", ""),
                ("Accountcode", ""),
            ],
        )
        for peer in ctx.pbx.sip_peers.values()
    ]
    send_list(ctx, request, "Peer status list will follow", items, "PeerlistComplete")


def sip_peer_status(ctx: Context, request: ReceivedMessage) -> None:
    name = request.get("Peer") or ""
    peers = list(ctx.pbx.sip_peers.values())
    if name:
        peer = ctx.pbx.sip_peers.get(_strip_prefix(name))
        if peer is None:
            ctx.error(request, "No such peer")
            return
        peers = [peer]
    items = [
        (
            "PeerStatus",
            [("ChannelType", "SIP"), ("Peer", f"SIP/{peer.name}"), ("PeerStatus", "Unmonitored")]
            + echo_id(request),
        )
        for peer in peers
    ]
    send_list(
        ctx, request, "Peer status will follow", items, "SIPpeerstatusComplete", privilege="System"
    )


def sip_show_peer(ctx: Context, request: ReceivedMessage) -> None:
    name = request.get("Peer") or ""
    if not name:
        ctx.error(request, "Peer: <name> missing.")
        return
    peer = ctx.pbx.sip_peers.get(name)
    if peer is None:
        # chan_sip writes one more blank line after this answer (fixture sipshowpeer-unknown)
        ctx.respond(request, "Error", f"Peer {name} not found.", trailer="\r\n")
        return
    static = peer.host is not None
    ctx.respond(
        request,
        "Success",
        headers=[
            ("Channeltype", "SIP"),
            ("ObjectName", peer.name),
            ("ChanObjectType", "peer"),
            ("SecretExist", "N"),
            ("RemoteSecretExist", "N"),
            ("MD5SecretExist", "N"),
            ("Context", "default"),
            ("Language", ""),
            ("ToneZone", "<Not set>"),
            ("AMAflags", "Unknown"),
            ("CID-CallingPres", "Presentation Allowed, Not Screened"),
            ("Callgroup", ""),
            ("Pickupgroup", ""),
            ("Named Callgroup", ""),
            ("Named Pickupgroup", ""),
            ("MOHSuggest", ""),
            ("VoiceMailbox", ""),
            ("TransferMode", "open"),
            ("LastMsgsSent", "0"),
            ("Maxforwards", "0"),
            ("Call-limit", "0"),
            ("Busy-level", "0"),
            ("MaxCallBR", "384 kbps"),
            ("Dynamic", "N" if static else "Y"),
            ("Callerid", '"" <>'),
            ("RegExpire", "-1 seconds"),
            ("SIP-AuthInsecure", "no"),
            ("SIP-Forcerport", "a"),
            ("SIP-Comedia", "N"),
            ("ACL", "N"),
            ("SIP-CanReinvite", "Y"),
            ("SIP-DirectMedia", "Y"),
            ("SIP-PromiscRedir", "N"),
            ("SIP-UserPhone", "N"),
            ("SIP-VideoSupport", "N"),
            ("SIP-TextSupport", "N"),
            ("SIP-T.38Support", "N"),
            ("SIP-T.38EC", "Unknown"),
            ("SIP-T.38MaxDtgrm", "4294967295"),
            ("SIP-Sess-Timers", "Accept"),
            ("SIP-Sess-Refresh", "uas"),
            ("SIP-Sess-Expires", "1800"),
            ("SIP-Sess-Min", "90"),
            ("SIP-RTP-Engine", "asterisk"),
            ("SIP-Encryption", "N"),
            ("SIP-RTCP-Mux", "N"),
            ("SIP-DTMFmode", "rfc2833"),
            ("ToHost", peer.host or ""),
            ("Address-IP", peer.host or "(null)"),
            ("Address-Port", str(peer.port if static else 0)),
            ("Default-addr-IP", "(null)"),
            ("Default-addr-port", "0"),
            ("Default-Username", ""),
            ("Codecs", "(ulaw)"),
            ("Status", "Unmonitored"),
            ("SIP-Useragent", ""),
            ("Reg-Contact", ""),
            ("QualifyFreq", "60000 ms"),
            ("Parkinglot", ""),
            ("SIP-Use-Reason-Header", "N"),
            ("Description", ""),
        ],
    )


@cli_command("sip show peers")
def _sip_show_peers(ctx: Context) -> str:
    row = "{:<25.25} {:<39.39} {:<3.3} {:<10.10} {:<10.10} {:<3.3} {:<8} {:<11} {:<32.32} {}"
    lines = [
        row.format(
            "Name/username",
            "Host",
            "Dyn",
            "Forcerport",
            "Comedia",
            "ACL",
            "Port",
            "Status",
            "Description",
            "",
        )
    ]
    peers = list(ctx.pbx.sip_peers.values())
    for peer in peers:
        host = peer.host or "(Unspecified)"
        dyn = "   " if peer.host else " D "
        port = str(peer.port if peer.host else 0)
        lines.append(
            row.format(peer.name, host, dyn, "Auto (No)", "No", "", port, "Unmonitored", "", "")
        )
    online = sum(1 for p in peers if p.host)
    lines.append(
        f"{len(peers)} sip peers [Monitored: 0 online, 0 offline Unmonitored: {online} online, {len(peers) - online} offline]"
    )
    return "\n".join(lines) + "\n"


HANDLERS: dict[str, Handler] = {
    "SIPnotify": sip_notify,
    "SIPpeers": sip_peers,
    "SIPpeerstatus": sip_peer_status,
    "SIPshowpeer": sip_show_peer,
}
