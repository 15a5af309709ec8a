"""The real Asterisk 20 and 22 that ``build.sh`` installed: found, started, stopped by PID.

``locate()`` asks ``build.sh --no-build`` where each server's prefix is (the build cache is
keyed by release and build configuration; only build.sh knows the key) and reinstalls the
configuration files, a second's work. ``Asterisk.start()`` runs ``<prefix>/sbin/asterisk
-f`` in a session of its own, its output in ``<prefix>/run/ast.out``, and returns once the
server says it has fully booted; ``stop()`` signals that PID and no other process. The
child also gets the parent-death signal: should the test run be killed outright (no
``finally`` runs), the kernel stops the server with it.

Used by the ``asterisk`` suite (``harness.py``) and by ``make bench``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build.sh"
RELEASES = {"20": "20.20.1", "22": "22.10.1"}
_PR_SET_PDEATHSIG = 1


class NotBuilt(RuntimeError):
    """No built server: the message says how to build one (one line)."""


@dataclass(frozen=True)
class Config:
    """Where one server lives and listens (``<prefix>/etc/asterisk/test-server.env``)."""

    version: str  # "20" or "22"
    release: str
    prefix: Path
    ami_port: int
    tls_port: int
    sip_port: int
    phone_port: int
    host: str = "127.0.0.1"

    @property
    def binary(self) -> Path:
        return self.prefix / "sbin" / "asterisk"

    @property
    def cafile(self) -> Path:
        """The self-signed certificate (CN=localhost) the build made for AMI over TLS."""
        return self.prefix / "etc" / "asterisk" / "keys" / "ami-cert.pem"

    @property
    def etc(self) -> Path:
        return self.prefix / "etc" / "asterisk"


def _read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            out[key.strip()] = value.strip()
    return out


def locate(versions: tuple[str, ...] = ("20", "22")) -> dict[str, Config]:
    """The installed servers, their configuration freshly installed; ``NotBuilt`` if any
    of ``versions`` is not built."""
    env = {**os.environ, "VERSIONS": " ".join(versions)}
    done = subprocess.run(
        ["bash", str(BUILD), "--no-build"], capture_output=True, text=True, env=env, timeout=120
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise NotBuilt(lines[-1] if lines else f"{BUILD} --no-build failed ({done.returncode})")
    out = {}
    for line in done.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word != "SERVER":
            continue
        version, _, prefix = rest.partition(" ")
        env_file = _read_env(Path(prefix) / "etc" / "asterisk" / "test-server.env")
        out[version] = Config(
            version=version,
            release=env_file["VERSION"],
            prefix=Path(prefix),
            ami_port=int(env_file["AMI_PORT"]),
            tls_port=int(env_file["AMI_TLS_PORT"]),
            sip_port=int(env_file["SIP_PORT"]),
            phone_port=int(env_file["PHONE_PORT"]),
            host=env_file.get("AMI_HOST", "127.0.0.1"),
        )
    missing = set(versions) - set(out)
    if missing:
        raise NotBuilt(f"{BUILD} --no-build did not report Asterisk {', '.join(sorted(missing))}")
    return out


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """A session of its own; SIGTERM when the thread that started it ends."""
    os.setsid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _is_ours(pid: int, binary: Path) -> bool:
    """Is ``pid`` a process running ``binary`` (also once build.sh replaced the file)?"""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    return exe in (str(binary), f"{binary} (deleted)")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class Asterisk:
    """One real server process. ``start()`` and ``stop()`` are idempotent."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.run_dir = config.prefix / "run"
        self.log_path = self.run_dir / "ast.out"

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def _stop_stale(self) -> None:
        """A server of this prefix left running (a run killed with SIGKILL, say): stop it.
        Only a process whose executable is this prefix's asterisk is signalled."""
        pid_file = self.config.prefix / "var" / "run" / "asterisk" / "asterisk.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        if pid != os.getpid() and _is_ours(pid, self.config.binary):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while _is_ours(pid, self.config.binary) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _is_ours(pid, self.config.binary):
                os.kill(pid, signal.SIGKILL)

    def start(self, timeout: float = 120.0) -> Asterisk:
        """Start the server and wait until it has booted."""
        self.launch()
        self.wait_booted(timeout)
        return self

    def launch(self) -> None:
        """Start the server, not waiting for it to boot. Call it from the thread that will
        outlive the server: the parent-death signal follows the thread that started it."""
        if self.proc is not None and self.proc.poll() is None:
            return
        cfg = self.config
        self._stop_stale()
        for port in (cfg.ami_port, cfg.tls_port):
            if _listening(cfg.host, port):
                raise RuntimeError(
                    f"Asterisk {cfg.release}: port {cfg.host}:{port} is taken by another process"
                )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [str(cfg.binary), "-f", "-n"],
                cwd=self.run_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        (self.run_dir / "ast.pid").write_text(f"{self.proc.pid}\n")

    def wait_booted(self, timeout: float = 120.0) -> None:
        """Return once Asterisk reports it has fully booted and AMI listens."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(
                    f"Asterisk {self.config.release} exited during start-up:\n{self.tail()}"
                )
            if _listening(self.config.host, self.config.ami_port):
                try:
                    if "fully booted" in self.cli("core waitfullybooted", timeout=20):
                        return
                except (subprocess.SubprocessError, OSError):
                    pass
            time.sleep(0.2)
        raise RuntimeError(
            f"Asterisk {self.config.release} not booted within {timeout} s:\n{self.tail()}"
        )

    def cli(self, command: str, timeout: float = 30.0) -> str:
        """A CLI command through the server's control socket (``asterisk -rx``)."""
        done = subprocess.run(
            [str(self.config.binary), "-rx", command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return done.stdout

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to this server's PID (Asterisk shuts down at once), SIGKILL after
        ``timeout`` seconds."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        try:
            (self.run_dir / "ast.pid").unlink()
        except OSError:
            pass

    def __enter__(self) -> Asterisk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
