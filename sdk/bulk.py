"""NOTIFY to thousands of phones across many PBXs: rate-limited, resumable, one result each.

::

    from sdk.bulk import bulk_notify
    report = bulk_notify("targets.csv", pbxs="pbx.yaml", event="check-sync", results="done.csv")
    report.to_dataframe()

- PBXs are named in a small YAML file (name → ``url: ami://user@host:port``, optional
  ``rate`` and ``method``); each secret comes from the environment (``secret_env``, default
  ``AMI_SECRET_<NAME>``, then ``AMI_SECRET``) or a prompt, never from the file.
- Targets come from a list, a CSV file (UTF-8, a BOM or not, unless ``encoding=``) or a
  pandas DataFrame with columns ``pbx``, ``target`` (peer or endpoint name; a ``sip:`` URI
  is sent as URI) and optional ``event`` and ``content`` (body lines separated by ``\\n``).
- A file that cannot be read is a ``ConfigError`` naming the file and the line.
- One session per PBX, the PBXs worked in parallel; each PBX's sends are spaced by a token
  bucket (default 20 a second, at most ``MAX_RATE``, 1000) at the moment they are written,
  and pipelined, so a slow answer does not slow the sending.
- Each PBX gets the NOTIFY action it offers (``method: auto``: SIPnotify or PJSIPNotify, by
  its ListCommands), and each target is checked against what the PBX's release has, as
  every session checks (``sdk.client.capabilities``): what a release cannot do (a URI for
  chan_sip, an action it lacks) is that target's ``invalid`` result, and the others go on.
- One result per target: ``ok``, ``error`` (Asterisk's message), ``timeout``, ``unknown``
  (the connection dropped while it was in flight), ``unreachable`` (not sent: its PBX could
  not be reached), ``invalid`` (not sent: bad input, or what its PBX cannot do), or
  ``dry-run``.
- Every result is appended to the results CSV as it happens (messages cut at
  ``MAX_MESSAGE`` characters). A run given an existing results file sends only what has no
  result there; ``unreachable`` targets are tried again, and ``timeout`` and ``unknown`` ones
  (and rows whose status is none of these words) only with ``retry_timeouts=True`` (a NOTIFY
  sent twice may reach the phone twice). A target that got any answer is never sent again.
  The file may have a BOM, lack its last line end or end inside a quoted field (a crash):
  the next row still starts a line of its own. A file whose header is not the results
  header is refused.
- An error inside a PBX's thread still gives each of its targets one result: ``unknown`` if
  it may have been sent, ``unreachable`` if not.
- Ctrl-C at any moment once the PBX threads start stops the sending, waits for the answers
  in flight (up to their timeout), writes them, and returns the report with
  ``interrupted=True``; a resume sends only what got no answer.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import getpass
import io
import logging
import math
import os
import re
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

import attrs
import yaml

from sdk.client.router import PendingResponse
from sdk.client.session import Session
from sdk.client.url import URLProblem, parse_url
from sdk.display import mask_url
from sdk.errors import Advised, AMIError, OutcomeUnknown, TimeoutError, ValidationError, url_words
from sdk.extras import require
from sdk.model.action import Action
from sdk.model.values import plain_text
from sdk.notify import METHODS, build_notify, is_uri, notify_method
from sdk.ratelimit import TokenBucket

if TYPE_CHECKING:
    import pandas
    from tqdm.auto import tqdm

__all__ = [
    "PBX",
    "BulkReport",
    "Result",
    "Target",
    "bulk_notify",
    "load_pbx_config",
    "read_targets",
]

log = logging.getLogger("sdk.bulk")

DEFAULT_RATE = 20.0
MAX_RATE = 1000.0  # NOTIFYs a second per PBX: a bound that keeps a typo from flooding a PBX
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
RESULT_COLUMNS = ("pbx", "target", "status", "message", "method", "action_id", "time")
ANSWERED = frozenset({"ok", "error"})
UNCERTAIN = frozenset({"timeout", "unknown"})  # sent, answer unknown: not re-sent by default
STATUSES = ANSWERED | UNCERTAIN | {"unreachable", "invalid", "dry-run"}
MAX_MESSAGE = 2000  # characters of a message kept in a result (and its CSV row)

_T = TypeVar("_T")
# An action on the wire: its target, the session's handle on the answer, when it was sent.
_InFlight = tuple["Target", PendingResponse, float]


class ConfigError(Advised, ValueError):
    """A bad PBX config, target list or results file; names the file, the line or entry, and
    the rule."""


@attrs.frozen
class PBX:
    """One PBX of the config file."""

    name: str
    url: str
    secret_env: str
    rate: float = DEFAULT_RATE
    method: str = "auto"  # "auto" (ask ListCommands), "SIPnotify" or "PJSIPNotify"


@attrs.frozen
class Target:
    pbx: str
    target: str
    event: str | None = None
    content: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.pbx, self.target)


@attrs.frozen
class Result:
    pbx: str
    target: str
    status: str
    message: str = ""
    method: str = ""
    action_id: str = ""
    time: str = ""

    def row(self) -> dict[str, str]:
        return attrs.asdict(self)


# --- inputs ---------------------------------------------------------------------------------


def load_pbx_config(source: str | Path | Mapping[str, object]) -> dict[str, PBX]:
    """Read the PBX config: ``{name: {url, rate?, method?, secret_env?}}``, at the top level or
    under ``pbxs:``. A ``secret`` in the file is refused: secrets come from the environment."""
    where = "PBX config"
    if isinstance(source, Mapping):
        data: object = source
    else:
        where = str(source)
        data = _load_yaml(_read_text(source), where)
    if isinstance(data, Mapping) and "pbxs" in data:
        data = data["pbxs"]
    if not isinstance(data, Mapping) or not data:
        raise ConfigError(f"{where}: expected a mapping of PBX names to settings")
    problems = []
    pbxs: dict[str, PBX] = {}
    for name, entry in data.items():
        if not isinstance(entry, Mapping):
            problems.append(f"{name}: expected a mapping with at least 'url'")
            continue
        # No message repeats a value of the file: a secret may sit where it should not.
        unknown = set(entry) - {"url", "rate", "method", "secret_env"}
        if {"secret", "password", "key"} & set(entry):
            problems.append(
                f"{name}: secrets never go in this file; set {_default_env(str(name))} instead"
            )
            unknown -= {"secret", "password", "key"}
        if unknown:
            problems.append(
                f"{name}: unknown keys {', '.join(sorted(map(str, unknown)))} (known: url, rate, method, secret_env)"
            )
        url = entry.get("url")
        if not isinstance(url, str):
            problems.append(f"{name}: url must be ami://user@host:port (or amis:// for TLS)")
            continue
        if mask_url(url) != url:
            problems.append(
                f"{name}: the url carries a password; secrets never go in this file,"
                f" set {_default_env(str(name))} instead"
            )
            continue
        try:
            parse_url(url)
        except URLProblem as exc:
            problems.append(f"{name}: {exc.worded('the url')}")
            continue
        rate = entry.get("rate", DEFAULT_RATE)
        problem = _rate_problem(rate)
        if problem:
            problems.append(f"{name}: {problem}")
            continue
        method = entry.get("method", "auto")
        if method not in ("auto", *METHODS):
            problems.append(f"{name}: method must be auto, PJSIPNotify or SIPnotify")
            continue
        secret_env = entry.get("secret_env") or _default_env(str(name))
        if not isinstance(secret_env, str) or not _ENV_NAME.fullmatch(secret_env):
            problems.append(
                f"{name}: secret_env must name an environment variable (capitals, digits, _)"
            )
            continue
        pbxs[str(name)] = PBX(str(name), url, secret_env, float(rate), method)
    if problems:
        raise ConfigError(f"{where}:\n  " + "\n  ".join(problems))
    return pbxs


def _rate_problem(rate: object) -> str | None:
    """Why ``rate`` is no NOTIFY rate (None: it is one); the value itself is not repeated."""
    if (
        isinstance(rate, bool)
        or not isinstance(rate, (int, float))
        or not math.isfinite(rate)
        or not 0 < rate <= MAX_RATE
    ):
        return f"rate must be a positive number of NOTIFYs a second, at most {MAX_RATE:g}"
    return None


def _read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """A whole text file (UTF-8 read with or without a BOM); a byte that is not ``encoding``
    is a ConfigError naming the file and the line."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ConfigError(f"{path}: unknown encoding {encoding!r}") from None
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        name = "UTF-8" if codec == "utf-8" else codec
        raise ConfigError(
            f"{path}, line {line}: not {name} text (byte 0x{data[exc.start]:02x})"
        ).advise(
            "give the file's encoding with encoding=", "give the file's encoding with --encoding"
        ) from None


_QUOTED = re.compile(r"'([^']*)'")


def _load_yaml(text: str, where: str) -> object:
    """``yaml.safe_load``, its errors one line: where and what, never the text of the line
    (YAML quotes the line and what it found there, which may be a secret)."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = _QUOTED.sub(_yaml_quote, exc.problem or exc.context or "not YAML")
        raise ConfigError(f"{where}{at}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not YAML ({type(exc).__name__})") from None


def _yaml_quote(match: re.Match[str]) -> str:
    """What YAML quoted in a message, if it is no text of the file: a character or a token
    name; a standard tag by its family (``!!python``). Anything else is left out."""
    text = match.group(1)
    if len(text) <= 2 or re.fullmatch(r"<[a-z ]+>", text):
        return match.group()
    family = re.match(r"tag:yaml\.org,2002:(\w+)", text)
    if family:
        return f"!!{family.group(1)} (no tags: the file holds plain values)"
    return "…"


def _default_env(name: str) -> str:
    return "AMI_SECRET_" + "".join(c.upper() if c.isalnum() else "_" for c in name)


def _secret_for(pbx: PBX, secrets: Mapping[str, str] | None) -> str:
    if secrets and pbx.name in secrets:
        return secrets[pbx.name]
    for env in (pbx.secret_env, "AMI_SECRET"):
        value = os.environ.get(env)
        if value is not None:
            return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"AMI secret for {pbx.name} ({mask_url(pbx.url)}): ")
    raise ConfigError(f"{pbx.name}: no secret; set {pbx.secret_env} (or AMI_SECRET)")


def read_targets(
    source: str | Path | Iterable[object] | pandas.DataFrame, *, encoding: str = "utf-8"
) -> list[Target]:
    """Targets from a CSV path (its ``encoding``; UTF-8 with or without a BOM by default), a
    DataFrame, or a list of Target / dict / (pbx, target) items."""
    rows: Iterable[tuple[str, object]]
    if isinstance(source, (str, Path)):
        where = str(source)
        lines = _csv_rows(Path(source), _read_text(source, encoding))
        header = [name.strip() for name in lines[0][1]] if lines else []
        rows = [(f"line {n}", dict(zip(header, row, strict=False))) for n, row in lines[1:]]
    elif hasattr(source, "to_dict") and hasattr(source, "columns"):
        where = "DataFrame"
        rows = [(f"row {i}", row) for i, row in enumerate(source.to_dict("records"), start=1)]
    else:
        where = "targets"
        rows = ((f"row {i}", row) for i, row in enumerate(source, start=1))
    out: list[Target] = []
    problems: list[str] = []
    for label, row in rows:
        if isinstance(row, Target):
            out.append(row)
            continue
        if isinstance(row, Mapping):
            values = {
                k: ("" if v is None or v != v else plain_text(v)) for k, v in row.items()
            }  # v != v: NaN
        elif isinstance(row, Sequence) and not isinstance(row, str) and len(row) in (2, 3, 4):
            values = dict(
                zip(("pbx", "target", "event", "content"), map(plain_text, row), strict=False)
            )
        else:
            problems.append(f"{label}: expected pbx and target, not {row!r}")
            continue
        pbx, target = values.get("pbx", "").strip(), values.get("target", "").strip()
        if not pbx or not target:
            problems.append(f"{label}: pbx and target are required")
            continue
        out.append(Target(pbx, target, values.get("event") or None, values.get("content") or None))
    if problems:
        raise ConfigError(f"{where}:\n  " + "\n  ".join(problems[:20]))
    return out


def read_results(path: str | Path) -> list[Result]:
    """The results in a results file (BOM or not); a ConfigError naming the file and line if
    it is not one (another header, bytes that are not UTF-8, bad CSV)."""
    return _ResultsFile.read(Path(path)).results


_END = "\r\n\x00end\x00\r\n"  # parsed after the file: it shows whether a quoted field is open
_FIELD_LIMIT = 2**31 - 1  # what a results file's field may hold when read (csv's default: 128 KiB)
_field_limit_lock = threading.Lock()


@attrs.frozen
class _ResultsFile:
    """A results file as read before a run: its results, and what an append must write first
    so that the first new row starts a line of its own (the header, a line end, or the quote
    that closes a field a crash left open)."""

    results: list[Result]
    prefix: str

    @classmethod
    def read(cls, path: Path) -> _ResultsFile:
        header = ",".join(RESULT_COLUMNS) + "\r\n"
        if not path.exists():
            return cls([], header)
        text = _read_text(path)
        rows = _csv_rows(path, text + _END)
        open_quote = rows[-1][1][-1].endswith(_END)
        if open_quote:
            rows[-1][1][-1] = rows[-1][1][-1].removesuffix(_END)
        else:
            rows.pop()  # the end marker's own row
        line_ended = not text or text.endswith(("\n", "\r"))
        if not rows:
            return cls([], ("" if line_ended else "\r\n") + header)
        line, first = rows[0]
        if [c.strip() for c in first] != list(RESULT_COLUMNS):
            raise ConfigError(
                f"{path}, line {line}: not a results file: its header must be"
                f" {','.join(RESULT_COLUMNS)} (give a new file, or one that a run wrote)"
            )
        width = len(RESULT_COLUMNS)
        results = [Result(*(row + [""] * width)[:width]) for _, row in rows[1:]]
        return cls(results, '"\r\n' if open_quote else "" if line_ended else "\r\n")


def _csv_rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """The non-empty CSV rows of ``text``, each with the line it starts on. csv's field limit
    (128 KiB) is raised meanwhile: a field of any size that was written can be read back."""
    rows: list[tuple[int, list[str]]] = []
    with _field_limit_lock:
        limit = csv.field_size_limit(_FIELD_LIMIT)  # process-wide, so restored below
        reader = csv.reader(io.StringIO(text, newline=""))
        start = 1
        try:
            for row in reader:
                if row:
                    rows.append((start, row))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ConfigError(f"{path}, line {reader.line_num}: {exc}") from None
        finally:
            csv.field_size_limit(limit)
    return rows


# --- the report -------------------------------------------------------------------------------


@attrs.define
class BulkReport:
    """Every result of a run, in the order they came; ``skipped`` had one from an earlier run."""

    results: list[Result] = attrs.field(factory=list)
    skipped: int = 0
    interrupted: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.results))

    def to_dataframe(self) -> pandas.DataFrame:
        """One row a result, in the results file's columns (the pandas extra)."""
        module = require("pandas", "BulkReport.to_dataframe")
        rows = [r.row() for r in self.results]
        frame: pandas.DataFrame = module.DataFrame(rows, columns=list(RESULT_COLUMNS))
        return frame

    def to_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS)
            writer.writeheader()
            writer.writerows(r.row() for r in self.results)

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items())) or "nothing to do"
        extra = f"; {self.skipped} already done" if self.skipped else ""
        return f"{len(self.results)} results: {counts}{extra}{' (interrupted)' if self.interrupted else ''}"


class _Recorder:
    """Collects results from the PBX threads; appends each to the CSV as it comes, after
    ``prefix`` (see ``_ResultsFile``)."""

    def __init__(self, path: Path | None, prefix: str, total: int, progress: bool) -> None:
        self.report = BulkReport()
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._writer: csv.DictWriter[str] | None = None
        if path is not None:
            # backslashreplace: a lone surrogate in a message must not lose the result
            self._file = open(path, "a", newline="", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 - closed in close()
            self._file.write(prefix)
            self._file.flush()
            self._writer = csv.DictWriter(self._file, fieldnames=RESULT_COLUMNS)
        self._bar: tqdm[NoReturn] | None = None
        # The progress bar's tally, kept as results come (statuses in first-seen order, as
        # report.counts gives them) rather than recounted over all results for each one.
        self._counts: Counter[str] = Counter()
        if progress:
            # lazy: only a run with a bar needs tqdm.auto, which looks for ipywidgets; it
            # renders in a terminal, and as a widget in a notebook
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit="notify", desc="NOTIFY", leave=True)

    def __call__(self, result: Result) -> None:
        with self._lock:
            self.report.results.append(result)
            if self._writer is not None and self._file is not None:
                self._writer.writerow(result.row())
                self._file.flush()
            if self._bar is not None:
                self._counts[result.status] += 1
                self._bar.update(1)
                self._bar.set_postfix(self._counts, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._file is not None:
            self._file.close()


def _problems(exc: ValidationError) -> str:
    """A ValidationError's problems on one line: a result's message."""
    return "; ".join(str(p) for p in exc.errors)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# --- the work ---------------------------------------------------------------------------------


@attrs.define
class _Job:
    pbx: PBX
    targets: list[Target]
    event: str
    content: str | tuple[str, ...] | None
    content_type: str | None
    timeout: float
    dry_run: bool
    stop: threading.Event
    record: Callable[[Result], None]
    secret: str | None = None
    session_options: dict[str, Any] = attrs.field(factory=dict)
    began: threading.Event = attrs.field(factory=threading.Event)
    done: threading.Event = attrs.field(factory=threading.Event)
    _answered: set[tuple[str, str]] = attrs.field(factory=set)  # has its result
    _sent: set[tuple[str, str]] = attrs.field(factory=set)  # may have been sent

    def result(
        self, target: Target, status: str, message: str = "", method: str = "", action_id: str = ""
    ) -> None:
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        self._answered.add(target.key)
        self.record(
            Result(self.pbx.name, target.target, status, message, method, action_id, _now())
        )

    def work(self) -> None:
        """The thread's body: ``run``, and whatever goes wrong in it, every target still gets
        exactly one result (``unknown`` if it may have been sent, else ``unreachable``)."""
        self.began.set()
        try:
            self.run()
        except BaseException as exc:  # noqa: BLE001 - reported as results, and logged
            log.error(
                "%s: stopped by %s: %s", self.pbx.name, type(exc).__name__, exc, exc_info=True
            )
            for target in self.targets:
                if target.key in self._answered:
                    continue
                if target.key in self._sent:
                    self.result(target, "unknown", f"sent, then {type(exc).__name__}: {exc}")
                else:
                    self.result(target, "unreachable", f"not sent: {type(exc).__name__}: {exc}")
        finally:
            self.done.set()

    def build(self, method: str, target: Target) -> Action:
        content = target.content if target.content is not None else self.content
        return build_notify(
            method,
            target.target,
            event=target.event or self.event,
            content=content,  # one string is split by build_notify's rule (body_lines)
            content_type=self.content_type if content is not None else None,
        )

    def run(self) -> None:
        if self.dry_run:
            self._dry_run()
            return
        if self.stop.is_set():
            return  # interrupted before this PBX's turn: nothing sent, no result
        try:
            session = Session.from_url(
                self.pbx.url, secret=self.secret, timeout=self.timeout, **self.session_options
            )
        except (AMIError, OSError, ValueError) as exc:
            # the PBX was named by a URL: the advice is worded for one (amis://, not tls=True)
            said = url_words(exc)
            log.warning("%s: unreachable: %s", self.pbx.name, said)
            for target in self.targets:
                self.result(target, "unreachable", f"not sent: {said}")
            return
        with session:
            if self.stop.is_set():
                return
            try:
                method = self.pbx.method if self.pbx.method != "auto" else notify_method(session)
            except AMIError as exc:
                for target in self.targets:
                    self.result(target, "unreachable", f"not sent: {exc}")
                return
            self._send_all(session, method)

    def _dry_run(self) -> None:
        methods = list(METHODS) if self.pbx.method == "auto" else [self.pbx.method]
        for target in self.targets:
            usable, problems = [], []
            for method in methods:
                if method == "SIPnotify" and is_uri(target.target) and len(methods) > 1:
                    continue
                try:
                    self.build(method, target)
                    usable.append(method)
                except ValidationError as exc:
                    problems.append(f"{method}: {_problems(exc)}")
            if usable:
                message = f"valid for {' and '.join(usable)}; nothing sent"
                if problems:
                    message += " (not for " + " | ".join(problems) + ")"
                self.result(target, "dry-run", message)
            else:
                self.result(target, "invalid", " | ".join(problems))

    def _send_all(self, session: Session, method: str) -> None:
        bucket = TokenBucket(self.pbx.rate, stop=self.stop)
        in_flight: deque[_InFlight] = deque()
        queue = deque(self.targets)
        while queue and not self.stop.is_set():
            target = queue.popleft()
            try:
                action = self.build(method, target)
                session.server.check(action, quiet=True)  # what its release cannot do: no token
            except ValidationError as exc:
                self.result(target, "invalid", _problems(exc), method)
                continue
            except Exception as exc:  # noqa: BLE001 - input this code did not expect
                self.result(target, "invalid", f"{type(exc).__name__}: {exc}", method)
                continue
            if not bucket.acquire():
                queue.appendleft(target)
                break
            self._sent.add(target.key)  # before submit: what may be on the wire is never resent
            try:
                pending = session.submit(action)
            except ValidationError as exc:  # the session refused it: not what this PBX takes
                self._sent.discard(target.key)
                self.result(target, "invalid", _problems(exc), method)
                continue
            except OutcomeUnknown as exc:
                self.result(target, "unknown", str(exc), method)
                break
            except AMIError as exc:
                queue.appendleft(target)
                log.warning("%s: session lost: %s", self.pbx.name, exc)
                break
            in_flight.append((target, pending, time.monotonic()))
            self._collect(session, method, in_flight, block=False)
        self._collect(session, method, in_flight, block=True)
        if self.stop.is_set():
            return  # interrupted: what was not sent has no result, so a resumed run sends it
        for target in queue:
            self.result(target, "unreachable", "not sent: the session was lost", method)

    def _collect(
        self, session: Session, method: str, in_flight: deque[_InFlight], *, block: bool
    ) -> None:
        while in_flight:
            target, pending, sent = in_flight[0]
            remaining = sent + self.timeout - time.monotonic()
            if not block and not pending.done() and remaining > 0:
                return
            in_flight.popleft()
            try:
                response = session.wait(pending, timeout=max(0.0, remaining))
            except TimeoutError:
                self.result(
                    target,
                    "timeout",
                    f"no answer within {self.timeout} s",
                    method,
                    pending.action_id,
                )
            except AMIError as exc:
                self.result(target, "unknown", str(exc), method, pending.action_id)
            else:
                status = "ok" if response.ok else "error"
                self.result(target, status, response.message or "", method, pending.action_id)


def bulk_notify(
    targets: str | Path | Iterable[object] | pandas.DataFrame,
    *,
    pbxs: str | Path | Mapping[str, object],
    event: str = "check-sync",
    content: str | Sequence[str] | None = None,
    content_type: str | None = None,
    rate: float | None = None,
    timeout: float = 10.0,
    results: str | Path | None = None,
    retry_timeouts: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    secrets: Mapping[str, str] | None = None,
    session_options: Mapping[str, Any] | None = None,
    encoding: str = "utf-8",
) -> BulkReport:
    """Send a NOTIFY to every target; return one result per target (see the module doc).

    ``rate`` overrides the config's per-PBX rate; ``secrets`` ({pbx name: secret}) is for
    callers that hold them already (a notebook form), instead of the environment;
    ``encoding`` is the targets CSV's (UTF-8, with or without a BOM, by default).
    """
    config = load_pbx_config(pbxs)
    if rate is not None and _rate_problem(rate):
        raise ConfigError(
            f"{', '.join(config)}: {_rate_problem(rate)} (the rate given for all PBXs)"
        )
    wanted = read_targets(targets, encoding=encoding)
    unknown = sorted({t.pbx for t in wanted} - set(config))
    if unknown:
        raise ConfigError(f"targets name PBXs that are not in the config: {', '.join(unknown)}")
    path = Path(results) if results is not None else None
    earlier = _ResultsFile.read(path) if path is not None else _ResultsFile([], "")
    last_status = {(r.pbx, r.target): r.status for r in earlier.results}  # the last one counts
    todo: list[Target] = []
    seen: set[tuple[str, str]] = set()
    for target in wanted:
        if target.key not in seen and _to_send(last_status.get(target.key), retry_timeouts):
            todo.append(target)
        seen.add(target.key)  # a duplicate row is one target
    # body lines kept as given: joined and split again, a trailing empty line would be lost
    body = content if content is None or isinstance(content, str) else tuple(content)
    work: list[tuple[PBX, list[Target], str | None]] = []
    for name, pbx in config.items():
        mine = [t for t in todo if t.pbx == name]
        if mine:
            if rate is not None:
                pbx = attrs.evolve(pbx, rate=float(rate))  # checked above
            work.append((pbx, mine, None if dry_run else _secret_for(pbx, secrets)))
    stop = threading.Event()
    recorder = _Recorder(path if not dry_run else None, earlier.prefix, len(todo), progress)
    report = recorder.report
    report.skipped = len(wanted) - len(todo)
    options = dict(session_options or {})
    jobs = [
        _Job(
            pbx, mine, event, body, content_type, timeout, dry_run, stop, recorder, secret, options
        )
        for pbx, mine, secret in work
    ]
    try:
        _run(jobs, stop, report)
    finally:
        recorder.close()
    return report


def _to_send(status: str | None, retry_timeouts: bool) -> bool:
    """Whether a target whose last result has ``status`` (None: none) is sent in this run."""
    if status is None or status == "unreachable":
        return True
    if status not in STATUSES:
        status = "unknown"  # a row cut short or edited by hand: it may have been sent
    return retry_timeouts if status in UNCERTAIN else False


def _run(jobs: list[_Job], stop: threading.Event, report: BulkReport) -> None:
    """Work every job on a thread of its own and return when all have ended.

    Ctrl-C at any moment stops the sending, and the answers in flight are still awaited (up
    to their timeout): while the threads run, SIGINT sets ``stop`` instead of raising
    KeyboardInterrupt wherever the main thread happens to be, such as between two thread
    starts; a KeyboardInterrupt raised all the same (by other code) is handled alike. The
    main thread waits on events, not on Thread.join: a join that Ctrl-C interrupts can later
    return while its thread still runs (CPython before 3.13)."""
    threads = [threading.Thread(target=job.work, name=f"bulk-{job.pbx.name}") for job in jobs]
    attempted: list[tuple[threading.Thread, _Job]] = []
    with _sigint_stops(stop, report):
        try:
            for thread, job in zip(threads, jobs, strict=True):
                attempted.append((thread, job))
                thread.start()
            for job in jobs:
                while not job.done.wait(0.2):
                    pass
        except KeyboardInterrupt:
            _interrupted(stop, report)
        finally:
            stop.set()
            for thread, job in attempted:
                # a start that KeyboardInterrupt cut short may or may not have started it
                if thread.ident is not None or _unless_interrupted(
                    job.began.wait, 5.0, stop, report
                ):
                    _unless_interrupted(job.done.wait, None, stop, report)
                    _unless_interrupted(thread.join, None, stop, report)


def _unless_interrupted(
    wait: Callable[[float | None], _T],
    timeout: float | None,
    stop: threading.Event,
    report: BulkReport,
) -> _T:
    """``wait(timeout)``, waited again when Ctrl-C interrupts it."""
    while True:
        try:
            return wait(timeout)
        except KeyboardInterrupt:
            _interrupted(stop, report)


def _interrupted(stop: threading.Event, report: BulkReport) -> None:
    if not report.interrupted:
        log.warning("interrupted: finishing the answers in flight, sending nothing more")
    report.interrupted = True
    stop.set()


@contextlib.contextmanager
def _sigint_stops(stop: threading.Event, report: BulkReport) -> Iterator[None]:
    """SIGINT sets ``stop`` meanwhile, where Python handles it (the main thread; a handler
    that is SIG_IGN or SIG_DFL is left alone). The previous handler is restored after."""
    previous = None
    if threading.current_thread() is threading.main_thread() and callable(
        signal.getsignal(signal.SIGINT)
    ):
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: _interrupted(stop, report))
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
