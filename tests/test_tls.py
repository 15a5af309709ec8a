"""AMI over TLS against the embedded server, with certificates the tests make (trustme)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from conftest import admin_session, run_threads, wait_until

from sdk import ConnectionError, Session, TimeoutError
from sdk.actions import Ping, SIPnotify, UserEvent
from sdk.testing import AMIServer

SLACK = 3.0  # seconds a loaded machine may add to a timeout


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("localhost", "127.0.0.1"))).configure_cert(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[AMIServer]:
    with AMIServer.as_recorded(tls=server_context(ca)) as pbx:
        yield pbx


def test_session_over_tls_with_a_context(tls_server: AMIServer, ca: trustme.CA) -> None:
    with admin_session(tls_server, tls=client_context(ca), timeout=5) as ami:
        assert ami.tls and " TLS " in repr(ami)
        response = ami.send(SIPnotify(channel="phone1", variables={"Event": "check-sync"}))
        assert response.message == "Notify Sent"
        assert ami.send(Ping()).get("Ping") == "Pong"
    assert [m.action for m in tls_server.received] == [
        "Challenge",
        "Login",
        "SIPnotify",
        "Ping",
        "Logoff",
    ]
    assert tls_server.notifies[0].header("Event") == "check-sync"


def test_amis_url_with_a_ca_file(tls_server: AMIServer, ca: trustme.CA, tmp_path: Path) -> None:
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    url = tls_server.url()
    assert url.startswith("amis://")
    with Session.from_url(f"{url}?tls_cafile={cafile}&timeout=5", secret="s3cret") as ami:
        assert ami.tls and ami.send(Ping()).ok


def test_tls_port_defaults_to_5039() -> None:
    with pytest.raises(ValueError, match="tls=True"):
        Session("127.0.0.1", username="u", secret="s", tls_cafile="/nonexistent.pem")
    # no server needed: the port is chosen before connecting, and named in the error
    with pytest.raises((ConnectionError, TimeoutError)) as excinfo:
        Session("127.0.0.1", username="u", secret="s", tls=True, timeout=0.5)
    assert "127.0.0.1:5039" in str(excinfo.value)


def test_certificate_checks_are_on_by_default(tls_server: AMIServer) -> None:
    start = time.monotonic()
    with pytest.raises(ConnectionError, match="certificate of 127.0.0.1:.* was refused"):
        admin_session(tls_server, tls=True)
    assert time.monotonic() - start < 5
    assert tls_server.received == []  # nothing, the secret least of all, went out


def test_host_name_is_checked(ca: trustme.CA) -> None:
    with AMIServer.as_recorded(tls=server_context(ca, "pbx.example.net")) as pbx:
        with pytest.raises(ConnectionError, match="certificate .* was refused.*mismatch"):
            admin_session(pbx, tls=client_context(ca))
        with admin_session(
            pbx,
            tls=client_context(ca),
            tls_server_name="pbx.example.net",
        ) as ami:
            assert ami.send(Ping()).ok


def test_checks_can_be_turned_off_and_that_is_logged(
    tls_server: AMIServer, caplog: pytest.LogCaptureFixture
) -> None:
    with admin_session(
        tls_server,
        tls=True,
        tls_verify=False,
    ) as ami:
        assert ami.send(Ping()).ok
    assert any("certificate checks are off" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="not both"):
        Session(username="u", secret="s", tls=ssl.create_default_context(), tls_verify=False)


def test_tls_client_on_a_plain_port_says_so(server: AMIServer, ca: trustme.CA) -> None:
    start = time.monotonic()
    with pytest.raises(ConnectionError, match="TLS handshake .* failed.*plain AMI port"):
        admin_session(
            server,
            tls=client_context(ca),
            timeout=10,  # the handshake fails at the banner: long before that
        )
    assert time.monotonic() - start < 10 + SLACK


def test_plain_client_on_a_tls_port_times_out_waiting_for_the_banner(
    tls_server: AMIServer,
) -> None:
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="no banner"):
        admin_session(tls_server, timeout=0.5)
    assert time.monotonic() - start < 0.5 + SLACK


def test_many_threads_and_events_over_one_tls_connection(
    tls_server: AMIServer, ca: trustme.CA
) -> None:
    """One TLS connection read and written at once: the case that needs one I/O thread."""
    with admin_session(
        tls_server,
        tls=client_context(ca),
        events="user",
        timeout=10,
    ) as ami:
        seen: list[str] = []
        ami.on("UserEvent", lambda event: seen.append(event.get("UserEvent") or ""))

        def worker(index: int) -> None:
            for j in range(40):
                aid = f"w{index}-{j}"
                assert ami.send(UserEvent(user_event=aid, action_id=aid)).action_id == aid

        run_threads(worker, 8)
        ami.send(Ping())
        assert sorted(seen) == sorted(f"w{i}-{j}" for i in range(8) for j in range(40))


def test_reconnects_over_tls(tls_server: AMIServer, ca: trustme.CA) -> None:
    with admin_session(tls_server, tls=client_context(ca), timeout=5) as ami:
        tls_server.restart()
        # a Ping written before the session saw the drop would fail with OutcomeUnknown: wait
        # for the new connection first (as the restart tests of test_reconnect do)
        assert wait_until(lambda: ami.reconnects == 1 and ami.connected, 20)
        assert ami.send(Ping(), timeout=10).ok
        assert ami.reconnects == 1
