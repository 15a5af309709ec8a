"""The login strategies alone (through a recording ``send``), then chosen by ``auth=``."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from sdk import AuthenticationError, Session
from sdk.client.auth import MD5Auth, PlainAuth, Secret, auth_strategy
from sdk.model.action import Action
from sdk.testing import AMIServer
from sdk.wire.message import Headers, Response

SECRET = Secret("Zq8-s3cret")


class Recorder:
    """A ``send`` that keeps the bytes of each action and answers from a script."""

    def __init__(self, *answers: list[tuple[str, str]]) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def __call__(self, action: Action) -> Response:
        self.sent.append(action.to_bytes(action_id="a1"))
        return Response(Headers(self.answers.pop(0)))


def test_md5_sends_a_challenge_then_only_the_key() -> None:
    send = Recorder(
        [("Response", "Success"), ("Challenge", "424242")],
        [("Response", "Success"), ("Message", "Authentication accepted")],
    )
    answer = MD5Auth().login(send, "admin", SECRET, "off")
    assert answer.message == "Authentication accepted"
    key = hashlib.md5(b"424242Zq8-s3cret").hexdigest()
    assert send.sent == [
        b"Action: Challenge\r\nActionID: a1\r\nAuthType: MD5\r\n\r\n",
        b"Action: Login\r\nActionID: a1\r\nUsername: admin\r\nAuthType: MD5\r\nKey: "
        + key.encode()
        + b"\r\nEvents: off\r\n\r\n",
    ]


def test_md5_stops_at_a_refused_challenge() -> None:
    send = Recorder([("Response", "Error"), ("Message", "Must specify AuthType")])
    with pytest.raises(AuthenticationError, match="MD5 challenge refused: Must specify AuthType"):
        MD5Auth().login(send, "admin", SECRET, "off")
    assert len(send.sent) == 1  # no Login after it


def test_plain_sends_the_secret_in_the_login() -> None:
    send = Recorder([("Response", "Error"), ("Message", "Authentication failed")])
    answer = PlainAuth().login(send, "admin", SECRET, "system,call")
    assert not answer.ok  # the session, not the strategy, says what a refusal means
    assert send.sent == [
        b"Action: Login\r\nActionID: a1\r\nUsername: admin\r\nSecret: Zq8-s3cret\r\n"
        b"Events: system,call\r\n\r\n"
    ]


def test_the_secret_shows_as_stars_and_cannot_be_pickled() -> None:
    assert repr(SECRET) == str(SECRET) == "'***'" and SECRET.reveal() == "Zq8-s3cret"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(SECRET)


def test_auth_names_a_strategy_or_is_one() -> None:
    assert auth_strategy("md5").name == "md5" and auth_strategy("plain").name == "plain"
    mine = PlainAuth()
    assert auth_strategy(mine) is mine
    with pytest.raises(ValueError, match="auth must be 'md5' or 'plain', not 'sha1'"):
        auth_strategy("sha1")
    with pytest.raises(ValueError, match="a strategy with login"):
        auth_strategy(42)  # type: ignore[arg-type]


def test_a_strategy_of_ones_own_is_used_by_the_session() -> None:
    class Logged(PlainAuth):
        name = "plain-logged"
        calls: list[str] = []

        def login(self, send, username, secret, events):  # type: ignore[no-untyped-def]
            self.calls.append(username)
            return super().login(send, username, secret, events)

    strategy = Logged()
    with AMIServer.as_recorded() as pbx:
        with Session(pbx.host, pbx.port, username="admin", secret="s3cret", auth=strategy) as ami:
            assert ami.auth == "plain-logged"
        assert [m.action for m in pbx.received] == ["Login", "Logoff"]
    assert strategy.calls == ["admin"]
