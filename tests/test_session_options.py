"""``SessionOptions`` and ``url_arguments``, alone: every option checked before anything connects."""

from __future__ import annotations

import ssl

import attrs
import pytest

from sdk.client.options import SessionOptions, events_header, tls_context, url_arguments
from sdk.client.reconnect import Reconnect


def test_defaults_and_the_port_that_follows_tls() -> None:
    options = SessionOptions(username="admin")
    assert (options.host, options.port, options.auth.name, options.timeout) == (
        "127.0.0.1",
        5038,
        "md5",
        10.0,
    )
    assert options.events == "off" and options.reconnect == Reconnect()
    assert options.tls is None and options.keepalive is None
    over_tls = SessionOptions(username="admin", tls=tls_context(True, True, None))
    assert over_tls.port == 5039
    assert SessionOptions(username="admin", port=6000, tls=over_tls.tls).port == 6000
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.timeout = 1  # type: ignore[misc]


def test_each_option_in_its_final_form() -> None:
    options = SessionOptions(
        username="admin", events=["system", "call"], reconnect=False, event_queue_size=0
    )
    assert options.events == "system,call" and options.reconnect is None
    assert options.event_queue_size == 1  # at least one event is kept
    assert [events_header(v) for v in (True, False, "user")] == ["on", "off", "user"]
    parser = SessionOptions(username="admin", max_line=10).parser()
    assert parser.max_line == 10 and parser.banner is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"auth": "sha1"}, "auth must be 'md5' or 'plain', not 'sha1'"),
        ({"keepalive": 0}, "keepalive must be a number of seconds above 0"),
        ({"max_message": 0}, "max_message must be a whole number of at least 1"),
    ],
)
def test_a_bad_option_is_refused_when_the_options_are_made(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SessionOptions(username="admin", **kwargs)


def test_tls_keywords_make_one_context() -> None:
    context = tls_context(True, False, None)
    assert context is not None and context.verify_mode == ssl.CERT_NONE
    assert tls_context(False, True, None) is None
    given = ssl.create_default_context()
    assert tls_context(given, True, None) is given
    with pytest.raises(ValueError, match="not both"):
        tls_context(given, False, None)
    with pytest.raises(ValueError, match="need tls=True"):
        tls_context(False, True, "ca.pem")


def test_url_arguments_gives_the_session_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMI_SECRET", raising=False)
    host, port, username, secret, kwargs = url_arguments(
        "amis://ops%40site@pbx.example.net:5039?timeout=5&reconnect=off&events=call",
        "s3cret",
        {"timeout": 2.0},
    )
    assert (host, port, username, secret) == ("pbx.example.net", 5039, "ops@site", "s3cret")
    assert kwargs == {"timeout": 2.0, "reconnect": False, "events": "call", "tls": True}
    monkeypatch.setenv("AMI_URL", "ami://admin@10.0.0.1")
    monkeypatch.setenv("AMI_SECRET", "from-env")
    assert url_arguments(None, None, {}) == ("10.0.0.1", None, "admin", "from-env", {})
    with pytest.raises(ValueError, match="has an unknown option 'colour'"):
        url_arguments("ami://admin@h?colour=red", "s", {})
    with pytest.raises(ValueError, match="never in the URL"):
        url_arguments("ami://admin:pw@h", "s", {})
