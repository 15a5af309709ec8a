"""The router alone: answers to their callers by ActionID, lists, late answers, lost links."""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable

import pytest

from sdk import ConnectionError, OutcomeUnknown, ProtocolError, TimeoutError, ValidationError
from sdk.actions import Logoff, Ping, SIPpeers
from sdk.client.router import PendingResponse, Router
from sdk.wire.message import Event, Message
from sdk.wire.parser import Parser


class Link:
    """A connection that keeps what is written to it (or refuses it, once closing)."""

    def __init__(self) -> None:
        self.written: list[tuple[bytes, Hashable | None]] = []
        self.closing = False

    def write(self, data: bytes, tag: Hashable | None = None) -> bool:
        if self.closing:
            return False
        self.written.append((data, tag))
        return True


def messages(text: str) -> list[Message]:
    return Parser(banner=False).feed(text.replace("\n", "\r\n").encode())


@pytest.fixture
def hub() -> list[Event]:
    return []


@pytest.fixture
def router(hub: list[Event]) -> Router:
    return Router(threading.Lock(), deliver=hub.append, on_goodbye=lambda: None)


def send(router: Router, link: Link, action: object, action_id: str) -> PendingResponse:
    pending = PendingResponse(action, action_id)  # type: ignore[arg-type]
    assert router.add(pending, link, action.to_bytes(action_id=action_id))  # type: ignore[attr-defined]
    return pending


def feed(router: Router, text: str) -> None:
    for message in messages(text):
        router.route(message)


def test_each_answer_reaches_its_own_caller(router: Router, hub: list[Event]) -> None:
    link = Link()
    one, two = send(router, link, Ping(), "a-1"), send(router, link, Ping(), "a-2")
    assert [tag for _, tag in link.written] == ["a-1", "a-2"]
    feed(router, "Response: Success\nActionID: a-2\nPing: Pong\n\nEvent: FullyBooted\n\n")
    assert two.done() and not one.done()
    assert router.wait(two, 0, 0).action_id == "a-2"
    feed(router, "Response: Success\nActionID: a-1\n\nResponse: Success\nActionID: zz\n\n")
    assert router.wait(one, 0, 0).action_id == "a-1"
    assert [m.action_id for m in router.unmatched] == ["zz"]  # nobody's
    assert [e.name for e in hub] == ["FullyBooted"]


def test_list_items_stay_with_their_answer(router: Router, hub: list[Event]) -> None:
    pending = send(router, Link(), SIPpeers(), "l-1")
    feed(
        router,
        "Response: Success\nActionID: l-1\nEventList: start\n\n"
        "Event: PeerEntry\nActionID: l-1\nObjectName: phone1\n\n"
        "Event: PeerEntry\nActionID: other\n\n"
        "Event: PeerlistComplete\nActionID: l-1\nEventList: Complete\nListItems: 1\n\n",
    )
    response = router.wait(pending, 0, 0)
    assert [e.get("ObjectName") for e in response.events] == ["phone1"]
    assert response.complete is not None and response.complete.get("ListItems") == "1"
    assert [e.action_id for e in hub] == ["other"]  # not a list of ours: an event


def test_a_timed_out_wait_keeps_its_late_answer_from_the_next_caller(router: Router) -> None:
    link = Link()
    first = send(router, link, SIPpeers(), "same")
    feed(router, "Response: Success\nActionID: same\nEventList: start\n\n")
    feed(router, "Event: PeerEntry\nActionID: same\n\n")
    with pytest.raises(TimeoutError, match="no complete answer within 0.5 s, 1 list items") as exc:
        router.wait(first, 0, 0.5)
    assert [e.name for e in exc.value.events] == ["PeerEntry"]
    again = send(router, link, Ping(), "same")  # free again once given up on
    late = send(router, link, Ping(), "late")
    with pytest.raises(TimeoutError):
        router.wait(late, 0, 0)
    feed(router, "Response: Success\nActionID: late\n\nResponse: Success\nActionID: same\n\n")
    assert router.wait(again, 0, 0).action_id == "same"
    assert [m.action_id for m in router.unmatched] == ["late"]


def test_an_action_id_in_flight_is_refused_before_it_is_written(router: Router) -> None:
    link = Link()
    send(router, link, Ping(), "dup")
    with pytest.raises(ValidationError, match="'dup' is already used by an action in flight"):
        router.add(PendingResponse(Ping(), "dup"), link, b"never")
    link.closing = True
    refused = PendingResponse(Ping(), "later")
    assert not router.add(refused, link, b"never")
    assert [tag for _, tag in link.written] == ["dup"]
    assert [p.action_id for p in router.take(link)] == ["dup"]  # "later" was not filed


def test_a_lost_link_fails_what_was_in_flight(router: Router) -> None:
    old, new = Link(), Link()
    written = send(router, old, Ping(), "w")
    queued = send(router, old, Ping(), "q")
    elsewhere = send(router, new, Ping(), "n")
    taken = router.take(old)
    assert taken == [written, queued]
    cause = OSError("reset")
    router.fail(taken, "connection to pbx ended (reset)", cause, unsent=["q"])
    with pytest.raises(OutcomeUnknown, match="w: connection to pbx ended .* may or may not"):
        router.wait(written, 0, 0)
    with pytest.raises(ConnectionError, match="q was not sent") as exc:
        router.wait(queued, 0, 0)
    assert not isinstance(exc.value, OutcomeUnknown) and exc.value.__cause__ is cause
    assert not elsewhere.done()


def test_goodbye_to_our_logoff_is_told_before_its_caller_wakes() -> None:
    seen: list[bool] = []
    holder: list[PendingResponse] = []
    router = Router(
        threading.Lock(), deliver=lambda e: None, on_goodbye=lambda: seen.append(holder[0].done())
    )
    holder.append(send(router, Link(), Logoff(), "bye"))
    feed(router, "Response: Goodbye\nActionID: bye\nMessage: Thanks for all the fish.\n\n")
    assert seen == [False] and holder[0].done()


def test_a_message_that_is_no_response_nor_event_is_kept_aside(router: Router) -> None:
    feed(router, "Foo: bar\nActionID: a-1\n\n")
    assert [m.get("Foo") for m in router.unmatched] == ["bar"]


def list_text(action_id: str, items: int, *, complete: bool = True) -> str:
    """A SIPpeers answer with ``items`` PeerEntry items, closed or not."""
    text = f"Response: Success\nActionID: {action_id}\nEventList: start\n\n"
    text += "".join(
        f"Event: PeerEntry\nActionID: {action_id}\nObjectName: p{n}\n\n" for n in range(items)
    )
    if complete:
        text += f"Event: PeerlistComplete\nActionID: {action_id}\nEventList: Complete\n\n"
    return text


def test_a_list_past_its_bound_fails_its_caller_and_the_rest_is_dropped(
    hub: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "sdk.client.session")
    router = Router(threading.Lock(), deliver=hub.append, on_goodbye=lambda: None, max_list_items=3)
    link = Link()
    fits, cut = send(router, link, SIPpeers(), "l-1"), send(router, link, SIPpeers(), "l-2")
    feed(router, list_text("l-1", 3))  # exactly the bound: kept whole
    assert [e.get("ObjectName") for e in router.wait(fits, 0, 0).events] == ["p0", "p1", "p2"]
    feed(router, list_text("l-2", 5, complete=False))
    assert cut.done()  # at once, not at the timeout
    with pytest.raises(
        ProtocolError,
        match=r"SIPpeers l-2: the list passed 3 items before its end \(max_list_items\)",
    ):
        router.wait(cut, 0, 0)
    assert cut.response is not None and cut.response.events == []  # let go
    feed(router, list_text("l-2", 0).split("\n\n", 1)[1])  # its closing event, later
    assert hub == []  # the rest of the list went nowhere, its end neither
    assert "l-2: the cut list ended; 2 items of it were dropped" in caplog.text  # 4th and 5th
    feed(router, "Event: PeerEntry\nActionID: l-2\n\n")  # after its end: an ordinary event
    assert [e.name for e in hub] == ["PeerEntry"]
    again = send(router, link, SIPpeers(), "l-3")  # the router goes on
    feed(router, list_text("l-3", 1))
    assert len(router.wait(again, 0, 0).events) == 1
