"""One connected socket, plain TCP or TLS, driven by a single I/O thread.

OpenSSL does not allow one TLS connection to be read and written by two threads at once (the
``SSL`` object is not thread-safe, and CPython takes no lock for it), so the session cannot
keep a reader thread blocked in ``recv`` while callers write. Here one thread does both: it
waits on the socket with a selector, reads whatever arrives, and writes what ``write()``
queued from any thread. Plain TCP takes the same path, so both are tested the same way.

On plain TCP, and only there, a caller waiting for an answer may do the I/O thread's work
itself while that thread sleeps with nothing to do (``drive``): the caller then reads the
socket and the I/O thread is not woken, which saves a round trip one thread wake-up of the
two. The two never run a turn at once (``_turn``), so the parser and the read buffer keep one
user at a time; what must run on the I/O thread (event callbacks) is handed back to it.

Both sides use it: ``sdk.client.session`` for the client, ``sdk.testing.server`` for the embedded
server's connections. ``open_socket`` connects (and shakes hands) without blocking past a
deadline, and stops early when asked to.
"""

from __future__ import annotations

import collections
import errno
import itertools
import logging
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Callable, Hashable

from sdk.errors import ProtocolError

__all__ = ["ConnectFailed", "Transport", "open_socket", "recv_some", "tls_handshake"]

log = logging.getLogger("sdk.wire.transport")

READ_SIZE = 256 * 1024
_POLL = 0.1  # how often a blocking step looks at its stop event
_FLUSH_LIMIT = 2.0  # how long close(flush=True) may spend writing what is queued
_IN_PROGRESS = (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EALREADY)


class ConnectFailed(Exception):
    """Internal: why ``open_socket`` or ``recv_some`` failed; ``timeout`` tells the kind."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


def _wait(
    sock: socket.socket,
    events: int,
    deadline: float,
    stop: threading.Event | None,
    what: str,
) -> None:
    """Wait until ``sock`` is ready for ``events``, the deadline passes, or ``stop`` is set."""
    with selectors.DefaultSelector() as sel:
        sel.register(sock, events)
        while True:
            if stop is not None and stop.is_set():
                raise ConnectFailed(f"{what}: stopped")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConnectFailed(what, timeout=True)
            if sel.select(min(remaining, _POLL) if stop is not None else remaining):
                return


def open_socket(
    host: str,
    port: int,
    *,
    timeout: float,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    stop: threading.Event | None = None,
) -> socket.socket:
    """A non-blocking socket connected to ``host:port`` (TLS handshake done when ``tls``).

    Tries each address ``host`` resolves to, like ``socket.create_connection``. Raises
    ``ConnectFailed`` (``.timeout`` set when time ran out) or ``ssl.SSLError`` subclasses for
    a refused certificate.
    """
    deadline = time.monotonic() + timeout
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectFailed(f"could not resolve {host}: {exc.strerror or exc}") from None
    last = "no address"
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            err = sock.connect_ex(address)
            if err not in (0, *_IN_PROGRESS):
                raise OSError(err, os.strerror(err))
            if err:
                _wait(sock, selectors.EVENT_WRITE, deadline, stop, "connecting")
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, os.strerror(err))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is None:
                return sock
            tls_sock = tls.wrap_socket(
                sock,
                server_hostname=server_hostname or host,
                do_handshake_on_connect=False,
            )
            tls_handshake(tls_sock, deadline, stop)
            return tls_sock
        except ConnectFailed as exc:
            sock.close()
            if exc.timeout:
                raise ConnectFailed("connecting took too long", timeout=True) from None
            raise
        except ssl.SSLError:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            last = exc.strerror or str(exc)
    raise ConnectFailed(last)


def tls_handshake(sock: ssl.SSLSocket, deadline: float, stop: threading.Event | None) -> None:
    """Finish the TLS handshake of a non-blocking ``sock`` by ``deadline``."""
    while True:
        try:
            sock.do_handshake()
            return
        except ssl.SSLWantReadError:
            _wait(sock, selectors.EVENT_READ, deadline, stop, "TLS handshake")
        except ssl.SSLWantWriteError:
            _wait(sock, selectors.EVENT_WRITE, deadline, stop, "TLS handshake")


def recv_some(sock: socket.socket, deadline: float, stop: threading.Event | None) -> bytes:
    """Read what a non-blocking ``sock`` has, waiting for it until ``deadline``; b"" at EOF."""
    while True:
        try:
            return sock.recv(READ_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError):
            _wait(sock, selectors.EVENT_READ, deadline, stop, "waiting for data")
        except ssl.SSLWantWriteError:
            _wait(sock, selectors.EVENT_WRITE, deadline, stop, "waiting for data")


def _raiser(exc: Exception) -> Callable[[], object]:
    """A function that raises ``exc``: a driving caller's error, raised on the I/O thread."""

    def fail() -> object:
        raise exc

    return fail


class _Chunk:
    __slots__ = ("data", "sent", "tag")

    def __init__(self, data: bytes, tag: Hashable | None) -> None:
        self.data = data
        self.tag = tag
        self.sent = 0


class Transport:
    """A connected non-blocking socket and the one thread that reads and writes it.

    ``on_data(bytes)`` gets what arrives, on the I/O thread; an exception it raises ends the
    connection (a ``ProtocolError`` from a parser, say). ``on_closed(transport, reason,
    error, unsent)`` is called once, on the I/O thread, when the connection ends for any
    reason: ``unsent`` lists the tags of writes that never left, not even in part. With
    ``handshake_timeout`` (a server's side of TLS) the thread first finishes the handshake;
    then ``on_open`` runs on it. ``tick`` runs every ``tick_interval`` seconds. ``eager``:
    see ``write``. ``on_driven``: what a caller that ``drive``s the connection does with a
    read, instead of ``on_data``.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        name: str,
        on_data: Callable[[bytes], None],
        on_closed: Callable[[Transport, str, BaseException | None, list[Hashable]], None],
        on_open: Callable[[], None] | None = None,
        handshake_timeout: float | None = None,
        tick: Callable[[], None] | None = None,
        tick_interval: float | None = None,
        eager: bool = False,
        on_driven: Callable[[bytes], Callable[[], object] | None] | None = None,
    ) -> None:
        sock.setblocking(False)
        self._eager = eager
        self._tls = isinstance(sock, ssl.SSLSocket)
        self.sock = sock
        self.name = name
        self._on_data = on_data
        self._on_closed = on_closed
        self._on_open = on_open
        self._handshake_timeout = handshake_timeout
        self._tick = tick
        self._tick_interval = tick_interval
        self._lock = threading.Lock()
        self._queue: collections.deque[_Chunk] = collections.deque()
        self._backlog = 0  # bytes queued and not yet written
        self._closing: str | None = None
        self._flush = False
        self._closed = False
        self._woken = False
        self._idle = False  # the I/O thread waits in select (with nothing queued)
        self._may_send = False  # and no writer has written straight out since
        self._buffer = bytearray(READ_SIZE)  # what each read lands in (whoever has the turn)
        self._on_driven = on_driven
        # Held by the I/O thread for its turn, all but its sleep in select, or by a caller
        # that drives the connection meanwhile: the socket's reads, the selector, the buffer.
        self._turn = threading.Lock()
        self._sel: selectors.BaseSelector | None = None  # the I/O thread's, while it runs
        self._drive_sel: selectors.BaseSelector | None = None  # a driving caller's
        self._later: collections.deque[Callable[[], object]] = collections.deque()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    # --- any thread ------------------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    @property
    def closed(self) -> bool:
        return self._closed or self._closing is not None

    @property
    def backlog(self) -> int:
        """Bytes queued by ``write`` that have not been written to the socket yet (a writer
        that must not outrun its peer waits for this to shrink)."""
        return self._backlog

    def write(self, data: bytes, tag: Hashable | None = None) -> bool:
        """Queue ``data``; False (nothing queued) when the connection is closing or closed.

        On a plain TCP socket, when nothing waits before it and the I/O thread sleeps in
        select, ``data`` goes out at once from the calling thread (the kernel lets one thread
        write while another reads: a request and its answer then cost no wake-up of the I/O
        thread). Once per turn of the I/O loop: the writes that follow it (a pipelined burst)
        wait, to go out together in few system calls. On TLS only the I/O thread touches
        the socket; with ``eager`` (a server's side) its own writes go out at once, as
        Asterisk writes: a handler that then blocks must not hold them back.
        """
        with self._lock:
            if self._closing is not None or self._closed:
                return False
            own = threading.get_ident() == self.thread.ident
            direct = not self._tls and self._idle and self._may_send
            if not self._queue and (own and self._eager or direct):
                if not own:
                    self._may_send = False  # the next writers queue, till the loop turns
                if self._send_now(data, tag):
                    return True
            else:
                self._queue.append(_Chunk(data, tag))
                self._backlog += len(data)
            # Only a thread asleep in select needs waking: a busy one looks at the queue
            # before it sleeps again (and one not started yet, when it starts).
            wake = not own and self._idle and not self._woken
            self._woken = self._woken or wake
        if own and self._eager:
            self._flush_now()
        elif wake:
            self._wake()
        return True

    def _send_now(self, data: bytes, tag: Hashable | None) -> bool:
        """With the lock held and nothing queued: send ``data``; queue what did not go.
        True when all of it went (the lock keeps two writers' bytes from interleaving)."""
        try:
            sent = self.sock.send(data)
        except OSError:  # full, TLS wants to read first, or broken: the loop sees to it
            sent = 0
        if sent == len(data):
            return True
        chunk = _Chunk(data, tag)
        chunk.sent = sent
        self._queue.append(chunk)
        self._backlog += len(data) - sent
        return False

    def _flush_now(self) -> None:
        """On the I/O thread: write what is queued, waiting for room up to a bound."""
        deadline = time.monotonic() + _FLUSH_LIMIT
        try:
            while self._write_some():
                if time.monotonic() > deadline:
                    return  # the peer does not read: the loop carries on later
                with selectors.DefaultSelector() as sel:
                    sel.register(self.sock, selectors.EVENT_WRITE | selectors.EVENT_READ)
                    sel.select(0.05)
        except OSError:
            pass  # the loop sees the broken socket on its next turn

    def drive(self, until: Callable[[], bool], deadline: float) -> None:
        """While the I/O thread sleeps with nothing to do, do its work on this thread: read
        what arrives and give it to ``on_driven`` until ``until()`` is true, ``deadline``
        (``time.monotonic()``) passes, or the I/O thread is needed (another thread queued
        a write, the connection is closing, ``on_driven`` left it work). Returns at once
        when the I/O thread is busy, another caller drives, or on TLS (OpenSSL's rule:
        only the I/O thread touches a TLS socket)."""
        on_driven = self._take_turn()
        if on_driven is not None:
            try:
                self._drive(on_driven, until, deadline)
            finally:
                self._give_turn()

    def exchange(
        self, data: bytes, tag: Hashable | None, until: Callable[[], bool], deadline: float
    ) -> bool:
        """``write(data, tag)``, then ``drive(until, deadline)``: with the turn taken before
        the write, so that an answer that comes at once does not wake the I/O thread."""
        on_driven = self._take_turn()
        if on_driven is None:
            return self.write(data, tag)
        try:
            # Straight out as a rule (the I/O thread sleeps); else queued, and that thread
            # woken, which ends the drive at once: the I/O thread writes it.
            if not self.write(data, tag):
                return False
            self._drive(on_driven, until, deadline)
            return True
        finally:
            self._give_turn()

    def _take_turn(self) -> Callable[[bytes], Callable[[], object] | None] | None:
        """Take the I/O thread's turn if it sleeps with nothing to do (on plain TCP, with an
        ``on_driven``): the socket leaves its selector, so that nothing read wakes it.
        Returns ``on_driven``; None when the thread is busy or another caller has the turn."""
        on_driven = self._on_driven
        if on_driven is None or self._tls or not self._idle:
            return None
        turn = self._turn
        if not turn.acquire(blocking=False):
            return None
        sel = self._sel
        if sel is None or not self._idle or self._closing is not None or self._later:
            # the I/O thread is not asleep in select, or has a driver's leftovers to see to
            # first (what is read next must not overtake them): it does the work
            turn.release()
            return None
        sel.unregister(self.sock)
        return on_driven

    def _give_turn(self) -> None:
        """Give the turn back: the socket is watched again, as the I/O thread left it."""
        try:
            assert self._sel is not None
            self._sel.register(self.sock, selectors.EVENT_READ)
            with self._lock:
                if not self._queue:
                    self._may_send = True  # a turn done: the next writer may send
        finally:
            self._turn.release()

    def _drive(
        self,
        on_driven: Callable[[bytes], Callable[[], object] | None],
        until: Callable[[], bool],
        deadline: float,
    ) -> None:
        waiter = self._drive_sel
        if waiter is None:
            waiter = self._drive_sel = selectors.DefaultSelector()
            waiter.register(self.sock, selectors.EVENT_READ)
            waiter.register(self._wake_r, selectors.EVENT_READ)
        wake_r, sock, buffer = self._wake_r, self.sock, self._buffer
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            for key, _events in waiter.select(remaining):
                if key.fileobj is wake_r:
                    return  # a write queued, or close(): the I/O thread's to do
            try:
                size = sock.recv_into(buffer)
            except BlockingIOError:
                continue
            except OSError:
                size = 0
            if not size:  # the end, or an error: the I/O thread reads it again and ends
                self._wake()
                return
            try:
                left = on_driven(bytes(memoryview(buffer)[:size]))
            except Exception as exc:  # as from on_data: it ends the connection, there
                self._hand_over(_raiser(exc))
                return
            if left is not None:
                self._hand_over(left)
                return
            if until():
                return

    def _hand_over(self, work: Callable[[], object]) -> None:
        """Leave ``work`` to the I/O thread: it runs before that thread reads again."""
        self._later.append(work)
        self._wake()

    def close(self, reason: str = "closed", *, flush: bool = False) -> None:
        """End the connection; with ``flush``, after writing what is queued (a server's
        Goodbye). Returns at once; ``join()`` waits for the thread."""
        with self._lock:
            if self._closing is not None or self._closed:
                return
            self._closing = reason
            self._flush = flush
        self._stop.set()
        self._wake()
        if self.thread.ident is None:  # never started: nobody else will close the socket
            self._finish(reason, None)

    def join(self, timeout: float | None = None) -> None:
        if self.thread.ident is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except OSError:  # full (already woken) or closed
            pass

    # --- the I/O thread --------------------------------------------------------------------

    def _run(self) -> None:
        reason = "closed"
        error: BaseException | None = None
        try:
            if self._handshake_timeout is not None and isinstance(self.sock, ssl.SSLSocket):
                deadline = time.monotonic() + self._handshake_timeout
                tls_handshake(self.sock, deadline, self._stop)
            if self._on_open is not None:
                self._on_open()
            reason = self._loop()
        except ConnectFailed as exc:
            reason = f"TLS handshake failed: {exc}"
        except ssl.SSLError as exc:
            reason, error = f"TLS error: {exc.reason or exc}", exc
        except OSError as exc:
            reason, error = f"connection error: {exc.strerror or exc}", exc
        except Exception as exc:  # a parser's ProtocolError, a callback's bug
            reason, error = str(exc) or type(exc).__name__, exc
            if isinstance(exc, ProtocolError):  # the server's doing; its message says it all
                error = exc.with_traceback(None)  # and no frames (read buffers) stay pinned
            else:
                log.exception("%s: I/O thread failed", self.name)
        self._finish(reason, error)

    def _finish(self, reason: str, error: BaseException | None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._closing is not None and error is None and reason == "closed":
                reason = self._closing
            unsent = [c.tag for c in self._queue if c.sent == 0 and c.tag is not None]
            self._queue.clear()
            self._backlog = 0
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self._drive_sel is not None:
            self._drive_sel.close()
        self._wake_r.close()
        self._wake_w.close()
        try:
            self._on_closed(self, reason, error, unsent)
        except Exception:  # pragma: no cover - a bug in the owner's handler
            log.exception("%s: on_closed failed", self.name)

    def _loop(self) -> str:
        sock = self.sock
        tls = sock if isinstance(sock, ssl.SSLSocket) else None  # it may hold decrypted bytes
        interval = self._tick_interval or 0.0
        next_tick = time.monotonic() + interval if interval else None
        flush_deadline: float | None = None
        write_waits_read = False
        turn, later = self._turn, self._later
        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ)
            sel.register(sock, selectors.EVENT_READ)
            mask = selectors.EVENT_READ
            turn.acquire()
            self._sel = sel
            try:
                while True:
                    while later:  # what a driving caller left, before anything is read
                        later.popleft()()
                    with self._lock:
                        self._woken = False
                        closing, flush, pending = self._closing, self._flush, bool(self._queue)
                        self._idle = self._may_send = not pending and closing is None
                    if closing is not None:
                        if not flush or not pending:
                            return closing
                        if flush_deadline is None:
                            flush_deadline = time.monotonic() + _FLUSH_LIMIT
                        elif time.monotonic() > flush_deadline:
                            return closing
                    want = selectors.EVENT_READ if closing is None else 0
                    if pending and (not write_waits_read or closing is not None):
                        want |= selectors.EVENT_WRITE
                    if want != mask:
                        if not want:
                            sel.unregister(sock)
                        elif not mask:
                            sel.register(sock, want)
                        else:
                            sel.modify(sock, want)
                        mask = want
                    timeout: float | None = None
                    if next_tick is not None:
                        timeout = max(0.0, next_tick - time.monotonic())
                    if closing is not None:
                        timeout = 0.05
                    if tls is not None and tls.pending():
                        timeout = 0.0
                    readable = writable = False
                    turn.release()  # asleep in select: a waiting caller may drive meanwhile
                    try:
                        ready = sel.select(timeout)
                    finally:
                        turn.acquire()
                    self._idle = False
                    for key, events in ready:
                        if key.fileobj is self._wake_r:
                            try:
                                self._wake_r.recv(4096)
                            except BlockingIOError:
                                pass
                            continue
                        readable = readable or bool(events & selectors.EVENT_READ)
                        writable = writable or bool(events & selectors.EVENT_WRITE)
                    if later:
                        continue  # a caller drove meanwhile: its leftovers come first
                    if tls is not None and tls.pending():
                        readable = True
                    if readable:
                        if write_waits_read:
                            write_waits_read = False
                            writable = True
                        if closing is None and not self._read():
                            return "connection closed by the peer"
                    if writable and pending:
                        write_waits_read = self._write()
                    if next_tick is not None and time.monotonic() >= next_tick:
                        next_tick = time.monotonic() + interval
                        if self._tick is not None and closing is None:
                            self._tick()
            finally:
                self._sel = None
                turn.release()

    def _read(self) -> bool:
        """Read what is there (a bounded amount, so writes get their turn); False at EOF."""
        buffer = self._buffer
        for _ in range(16):
            try:
                size = self.sock.recv_into(buffer)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return True
            if not size:
                return False
            # into a buffer kept for the connection: recv(READ_SIZE) would map and unmap a
            # fresh 256 KiB block for every read, a few system calls each
            data = bytes(memoryview(buffer)[:size])
            self._on_data(data)
            if self._closing is not None or size < READ_SIZE:
                return True  # drained (TLS keeps the rest in pending(), which the loop sees)
        return True

    def _write(self) -> bool:
        """Write queued chunks until the socket is full; True when TLS must read first."""
        try:
            self._write_some()
        except ssl.SSLWantReadError:
            return True
        return False

    def _write_some(self) -> bool:
        """Write queued chunks until done (False) or the socket is full (True). Chunks that
        wait together go out in one send, up to READ_SIZE bytes: a pipelined burst of
        actions costs a few system calls, not one each."""
        while True:
            with self._lock:
                queue = self._queue
                if not queue:
                    return False
                batch = [queue[0]]
                size = len(batch[0].data) - batch[0].sent
                if not batch[0].sent:  # whole chunks behind it may join it
                    for chunk in itertools.islice(queue, 1, None):
                        size += len(chunk.data)
                        if size > READ_SIZE:
                            break
                        batch.append(chunk)
            if len(batch) == 1:
                head = batch[0]
                data: bytes | memoryview = memoryview(head.data)[head.sent : head.sent + READ_SIZE]
            else:
                data = b"".join([chunk.data for chunk in batch])
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, ssl.SSLWantWriteError):
                return True
            with self._lock:
                self._backlog -= sent
                for chunk in batch:  # the front of the queue: only this thread takes from it
                    took = min(sent, len(chunk.data) - chunk.sent)
                    chunk.sent += took
                    sent -= took
                    if chunk.sent < len(chunk.data):
                        break
                    queue.popleft()
