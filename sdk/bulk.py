"""NOTIFY to thousands of phones across many PBXs: rate-limited, resumable, one result each.

::

    from sdk.bulk import bulk_notify
    report = bulk_notify("targets.csv", pbxs="pbx.yaml", event="check-sync", results="done.csv")
    report.to_dataframe()

- PBXs are named in a small YAML file (name → ``url: ami://user@host:port``, optional
  ``rate`` and ``method``); each secret comes from the environment (``secret_env``, default
  ``AMI_SECRET_<NAME>``, then ``AMI_SECRET``) or a prompt, never from the file.
- Targets come from a list, a CSV file or a pandas DataFrame with columns ``pbx``,
  ``target`` (peer or endpoint name; a ``sip:`` URI is sent as URI) and optional ``event``
  and ``content`` (body lines separated by ``\\n``).
- One session per PBX, the PBXs worked in parallel; each PBX's sends are spaced by a token
  bucket (default 20 a second) at the moment they are written, and pipelined, so a slow
  answer does not slow the sending.
- One result per target: ``ok``, ``error`` (Asterisk's message), ``timeout``, ``unknown``
  (the connection dropped while it was in flight), ``unreachable`` (not sent: its PBX could
  not be reached), ``invalid`` (not sent: bad input), or ``dry-run``.
- Every result is appended to the results CSV as it happens. A run given an existing results
  file sends only what has no result there; ``unreachable`` targets are tried again, and
  ``timeout`` and ``unknown`` ones only with ``retry_timeouts=True`` (a NOTIFY sent twice
  may reach the phone twice). A target that got any answer is never sent again.
- Ctrl-C stops sending, waits for the answers in flight, writes them, and returns.
"""

from __future__ import annotations

import csv
import getpass
import logging
import math
import os
import re
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import yaml

from sdk.display import mask_url
from sdk.errors import AMIError, OutcomeUnknown, TimeoutError, ValidationError
from sdk.notify import METHODS, build_notify, is_uri, notify_method
from sdk.ratelimit import TokenBucket
from sdk.session import Session

if TYPE_CHECKING:
    import pandas

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


class ConfigError(ValueError):
    """A bad PBX config file or target list; names the file, the entry and the rule."""


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


def load_pbx_config(source: str | Path | Mapping[str, Any]) -> dict[str, PBX]:
    """Read the PBX config: ``{name: {url, rate?, method?, secret_env?}}``, at the top level or
    under ``pbxs:``. A ``secret`` in the file is refused: secrets come from the environment."""
    where = "PBX config"
    if isinstance(source, Mapping):
        data: Any = source
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
        if not isinstance(url, str) or not url.startswith(("ami://", "amis://")) or "@" not in url:
            problems.append(f"{name}: url must be ami://user@host:port (or amis:// for TLS)")
            continue
        if mask_url(url) != url:
            problems.append(
                f"{name}: the url carries a password; secrets never go in this file,"
                f" set {_default_env(str(name))} instead"
            )
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


def _rate_problem(rate: Any) -> str | None:
    """Why ``rate`` is no NOTIFY rate (None: it is one); the value itself is not repeated."""
    if (
        isinstance(rate, bool)
        or not isinstance(rate, (int, float))
        or not math.isfinite(rate)
        or not 0 < rate <= MAX_RATE
    ):
        return f"rate must be a positive number of NOTIFYs a second, at most {MAX_RATE:g}"
    return None


def _read_text(path: str | Path, encoding: str = "utf-8-sig", hint: str = "") -> str:
    """A whole text file; a byte that is not ``encoding`` is a ConfigError naming its line."""
    data = Path(path).read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        name = "UTF-8" if encoding.lower().replace("_", "-") in _UTF8 else encoding
        raise ConfigError(
            f"{path}, line {line}: not {name} (byte 0x{data[exc.start]:02x}){hint}"
        ) from None
    except LookupError:
        raise ConfigError(f"{path}: unknown encoding {encoding!r}") from None


_UTF8 = ("utf-8", "utf8", "utf-8-sig")
_QUOTED = re.compile(r"'([^']*)'")


def _load_yaml(text: str, where: str) -> Any:
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


def read_targets(source: str | Path | Iterable[Any] | pandas.DataFrame) -> list[Target]:
    """Targets from a CSV path, a DataFrame, or a list of Target / dict / (pbx, target) items."""
    if isinstance(source, (str, Path)):
        with open(source, newline="", encoding="utf-8") as handle:
            rows: Iterable[Any] = list(csv.DictReader(handle))
        where = str(source)
    elif hasattr(source, "to_dict") and hasattr(source, "columns"):
        rows = source.to_dict("records")  # a pandas DataFrame
        where = "DataFrame"
    else:
        rows = source
        where = "targets"
    out: list[Target] = []
    problems: list[str] = []
    for index, row in enumerate(rows, start=1):
        if isinstance(row, Target):
            out.append(row)
            continue
        if isinstance(row, Mapping):
            values = {
                k: ("" if v is None or v != v else str(v)) for k, v in row.items()
            }  # v != v: NaN
        elif isinstance(row, Sequence) and not isinstance(row, str) and len(row) in (2, 3, 4):
            values = dict(zip(("pbx", "target", "event", "content"), map(str, row), strict=False))
        else:
            problems.append(f"row {index}: expected pbx and target, not {row!r}")
            continue
        pbx, target = values.get("pbx", "").strip(), values.get("target", "").strip()
        if not pbx or not target:
            problems.append(f"row {index}: pbx and target are required")
            continue
        out.append(Target(pbx, target, values.get("event") or None, values.get("content") or None))
    if problems:
        raise ConfigError(f"{where}:\n  " + "\n  ".join(problems[:20]))
    return out


def read_results(path: str | Path) -> list[Result]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            Result(**{k: row.get(k, "") or "" for k in RESULT_COLUMNS})
            for row in csv.DictReader(handle)
        ]


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
        import pandas

        return pandas.DataFrame([r.row() for r in self.results], columns=list(RESULT_COLUMNS))

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
    """Collects results from the PBX threads; appends each to the CSV as it comes."""

    def __init__(self, path: Path | None, total: int, progress: bool) -> None:
        self.report = BulkReport()
        self._lock = threading.Lock()
        self._file = None
        self._writer = None
        if path is not None:
            new = not path.exists() or path.stat().st_size == 0
            self._file = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self._writer = csv.DictWriter(self._file, fieldnames=RESULT_COLUMNS)
            if new:
                self._writer.writeheader()
        self._bar: Any = None
        # The progress bar's tally, kept as results come (statuses in first-seen order, as
        # report.counts gives them) rather than recounted over all results for each one.
        self._counts: Counter[str] = Counter()
        if progress:
            from tqdm.auto import tqdm  # renders in a terminal, and as a widget in a notebook

            self._bar = tqdm(total=total, unit="notify", desc="NOTIFY", leave=True)

    def __call__(self, result: Result) -> None:
        with self._lock:
            self.report.results.append(result)
            if self._writer is not None:
                self._writer.writerow(result.row())
                self._file.flush()  # type: ignore[union-attr]
            if self._bar is not None:
                self._counts[result.status] += 1
                self._bar.update(1)
                self._bar.set_postfix(self._counts, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._file is not None:
            self._file.close()


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

    def result(
        self, target: Target, status: str, message: str = "", method: str = "", action_id: str = ""
    ) -> None:
        self.record(
            Result(self.pbx.name, target.target, status, message, method, action_id, _now())
        )

    def build(self, method: str, target: Target) -> Any:
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
        try:
            session = Session.from_url(
                self.pbx.url, secret=self.secret, timeout=self.timeout, **self.session_options
            )
        except (AMIError, OSError, ValueError) as exc:
            log.warning("%s: unreachable: %s", self.pbx.name, exc)
            for target in self.targets:
                self.result(target, "unreachable", f"not sent: {exc}")
            return
        with session:
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
                    problems.append(f"{method}: " + "; ".join(str(p) for p in exc.errors))
            if usable:
                message = f"valid for {' and '.join(usable)}; nothing sent"
                if problems:
                    message += " (not for " + " | ".join(problems) + ")"
                self.result(target, "dry-run", message)
            else:
                self.result(target, "invalid", " | ".join(problems))

    def _send_all(self, session: Session, method: str) -> None:
        bucket = TokenBucket(self.pbx.rate, stop=self.stop)
        in_flight: deque[tuple[Target, Any, float]] = deque()
        queue = deque(self.targets)
        while queue and not self.stop.is_set():
            target = queue.popleft()
            try:
                action = self.build(method, target)
            except ValidationError as exc:
                self.result(target, "invalid", "; ".join(str(p) for p in exc.errors), method)
                continue
            if not bucket.acquire():
                queue.appendleft(target)
                break
            try:
                pending = session.submit(action)
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

    def _collect(self, session: Session, method: str, in_flight: deque, *, block: bool) -> None:
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
    targets: str | Path | Iterable[Any] | pandas.DataFrame,
    *,
    pbxs: str | Path | Mapping[str, Any],
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
) -> BulkReport:
    """Send a NOTIFY to every target; return one result per target (see the module doc).

    ``rate`` overrides the config's per-PBX rate; ``secrets`` ({pbx name: secret}) is for
    callers that hold them already (a notebook form), instead of the environment.
    """
    config = load_pbx_config(pbxs)
    if rate is not None and _rate_problem(rate):
        raise ConfigError(f"{', '.join(config)}: {_rate_problem(rate)} (rate= is for every PBX)")
    wanted = read_targets(targets)
    unknown = sorted({t.pbx for t in wanted} - set(config))
    if unknown:
        raise ConfigError(f"targets name PBXs that are not in the config: {', '.join(unknown)}")
    path = Path(results) if results is not None else None
    done: dict[tuple[str, str], str] = {}
    if path is not None and path.exists() and path.stat().st_size:
        for result in read_results(path):
            done[(result.pbx, result.target)] = result.status
    keep_statuses = (
        ANSWERED | {"invalid", "dry-run"} | (frozenset() if retry_timeouts else UNCERTAIN)
    )
    todo = [t for t in wanted if done.get(t.key) not in keep_statuses]
    seen: set[tuple[str, str]] = set()
    todo = [
        t for t in todo if not (t.key in seen or seen.add(t.key))
    ]  # a duplicate row is one target
    # body lines kept as given: joined and split again, a trailing empty line would be lost
    body = content if content is None or isinstance(content, str) else tuple(content)
    stop = threading.Event()
    recorder = _Recorder(path if not dry_run else None, len(todo), progress)
    recorder.report.skipped = len(wanted) - len(todo)
    jobs = []
    for name, pbx in config.items():
        mine = [t for t in todo if t.pbx == name]
        if not mine:
            continue
        if rate is not None:
            pbx = attrs.evolve(pbx, rate=float(rate))  # checked above
        secret = None if dry_run else _secret_for(pbx, secrets)
        jobs.append(
            _Job(
                pbx,
                mine,
                event,
                body,
                content_type,
                timeout,
                dry_run,
                stop,
                recorder,
                secret,
                dict(session_options or {}),
            )  # fmt: skip
        )
    finished = [threading.Event() for _ in jobs]

    def work(job: _Job, done: threading.Event) -> None:
        try:
            job.run()
        finally:
            done.set()

    threads = [
        threading.Thread(target=work, args=(job, done), name=f"bulk-{job.pbx.name}")
        for job, done in zip(jobs, finished, strict=True)
    ]
    # The main thread waits on events, not on Thread.join: a join that Ctrl-C interrupts can
    # later return while its thread still runs (CPython before 3.13).
    try:
        for thread in threads:
            thread.start()
        for done in finished:
            while not done.wait(0.2):
                pass
    except KeyboardInterrupt:
        log.warning("interrupted: finishing the answers in flight, sending nothing more")
        stop.set()
        recorder.report.interrupted = True
        for done in finished:
            done.wait()
    finally:
        stop.set()
        for done in finished:
            done.wait()
        for thread in threads:
            thread.join()
        recorder.close()
    return recorder.report
