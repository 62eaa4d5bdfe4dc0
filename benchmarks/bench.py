"""Benchmark tpublish against twine (and a raw curl upload) on a local pypiserver.

Usage::

    python benchmarks/bench.py [--quick] [--repeat N] [--big-mb 500] [--many 100] [--out FILE]

Scenarios (tools run alternately, in a rotating order, so drift hits every tool alike):

* ``startup``: ``tpublish --help`` / ``--version`` against ``twine --help`` / ``--version``.
* ``many``:    N small wheels (10-50 kB) in one command: tpublish (default concurrency and
  ``--concurrency 1``) against twine.
* ``many@50ms``: the same through a relay that adds a round-trip time (``--rtt-ms``), since a
  local pypiserver answers too fast for concurrency to matter.
* ``big``:     one large wheel: tpublish, twine, and ``curl -F`` posting the same form.
* ``mem-1MB``: a 1 MB wheel, to compare peak RSS with the big upload's.

Every child's wall time is measured from spawn to exit; its peak RSS is GNU time's ``%M``
(``/usr/bin/time``) for that one process. A run that exits non-zero, or after which the index
does not hold exactly the expected files, aborts the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from asyncio import StreamReader, StreamWriter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MB = 1_000_000
TIME = "/usr/bin/time"  # GNU time (Debian package "time")
SNAPSHOT: Path | None = None  # a copy of src/ that tpublish runs from (see snapshot_source)

# Variables that would make either tool behave as in CI (trusted publishing, annotations, ...).
CI_VARS = {"CI", "BUILD_ID", "BUILD_NUMBER", "JENKINS_URL", "TF_BUILD", "TEAMCITY_VERSION"}
CI_PREFIXES = (
    "TPUBLISH_",
    "TWINE_",
    "GITHUB_",
    "GITLAB_",
    "ACTIONS_",
    "RUNNER_",
    "BUILDKITE",
    "CIRCLE",
    "TRAVIS",
    "CI_",
)


class BenchmarkError(RuntimeError):
    """A run failed: its timing would be meaningless."""


@dataclass
class Row:
    scenario: str
    tool: str
    command: list[str]
    baseline: str | None = None  # tool whose median is the ratio's denominator
    env: dict[str, str] = field(default_factory=dict)  # added to the scenario's environment
    tty: bool = False  # run on a pseudo-terminal, as a person at a terminal would
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_rss_mb(self) -> float:
        return max(self.rss_kb) * 1024 / MB


@dataclass
class Run:
    seconds: float
    rss_kb: int


def child_env(username: str = "", password: str = "") -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in CI_VARS and not key.startswith(CI_PREFIXES)
    }
    if username:
        env.update(TPUBLISH_USERNAME=username, TPUBLISH_PASSWORD=password)
        env.update(TWINE_USERNAME=username, TWINE_PASSWORD=password)
    return env


def run_child(command: Sequence[str], env: dict[str, str], *, tty: bool = False) -> Run:
    """Run one command to completion; return its wall time and peak RSS, or raise.

    Peak RSS comes from GNU time (``%M``), not from ``wait4()`` here: Linux carries the forking
    process's high-water RSS into the child's ``ru_maxrss``, so every child would look at least as
    big as this benchmark process. GNU time is a small C program, so its floor is ~2 MB.

    With ``tty``, stdout and stderr are a 120x40 pseudo-terminal that a thread reads as fast as
    the child writes, so progress bars are drawn as they would be for a person watching.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
            wrapped = [TIME, "-f", "%M", "-o", rss.name, *command]

            def timed(stdout: Any, stderr: Any) -> tuple[float, subprocess.CompletedProcess[bytes]]:
                start = time.perf_counter()
                done = subprocess.run(
                    wrapped, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env
                )
                return time.perf_counter() - start, done

            if tty:
                from terminal import pseudo_terminal  # tests/ is on sys.path (see main)

                with pseudo_terminal(120, 40) as (terminal, chunks):
                    elapsed, process = timed(terminal, terminal)
                out.write(b"".join(chunks))  # all of it: the reader has ended
            else:
                elapsed, process = timed(out, err)
            rss_text = rss.read().strip()
        if process.returncode != 0:
            out.seek(0)
            err.seek(0)
            raise BenchmarkError(
                f"exit code {process.returncode}: {redact(' '.join(command))[:300]}\n"
                f"--- stdout ---\n{out.read().decode(errors='replace')[-4000:]}\n"
                f"--- stderr ---\n{err.read().decode(errors='replace')[-4000:]}"
            )
    return Run(elapsed, int(rss_text.splitlines()[-1]))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def clear(directory: Path) -> None:
    for entry in directory.iterdir():
        entry.unlink()


def check_stored(packages: Path, files: Sequence[Path], *, verify_content: bool) -> None:
    """The index holds exactly ``files``, byte for byte in size (and content if asked)."""
    stored = {entry.name: entry for entry in packages.iterdir()}
    expected = {path.name: path for path in files}
    if set(stored) != set(expected):
        missing = sorted(set(expected) - set(stored))[:5]
        extra = sorted(set(stored) - set(expected))[:5]
        raise BenchmarkError(f"index holds the wrong files: missing {missing}, unexpected {extra}")
    for name, path in expected.items():
        if stored[name].stat().st_size != path.stat().st_size:
            raise BenchmarkError(f"{name}: stored size differs from the original")
        if verify_content and sha256_of(stored[name]) != sha256_of(path):
            raise BenchmarkError(f"{name}: stored content differs from the original")


def measure(
    rows: Sequence[Row],
    repeat: int,
    env: dict[str, str],
    *,
    before: Callable[[], None] = lambda: None,
    after: Callable[[int, Row], None] = lambda _i, _row: None,
) -> None:
    """Run every row ``repeat`` times, rotating the order each round."""
    for round_ in range(repeat):
        shift = round_ % len(rows)
        for row in [*rows[shift:], *rows[:shift]]:
            before()
            run = run_child(row.command, {**env, **row.env}, tty=row.tty)
            after(round_, row)
            row.seconds.append(run.seconds)
            row.rss_kb.append(run.rss_kb)
            print(
                f"  {row.scenario:<9} {row.tool:<26} round {round_ + 1}/{repeat}: "
                f"{run.seconds:7.3f} s  {run.rss_kb / 1024:6.1f} MiB",
                flush=True,
            )


def tpublish_env() -> dict[str, str]:
    """Run tpublish from the snapshot of its source, when there is one."""
    return {"PYTHONPATH": str(SNAPSHOT)} if SNAPSHOT else {}


def snapshot_source(work: Path) -> Path:
    """Copy src/tpublish now, so edits made during the run do not leak into it."""
    root = work / "snapshot"
    shutil.copytree(
        REPO / "src" / "tpublish", root / "tpublish", ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(root, quiet=1)
    return root


def check_snapshot_used(snapshot: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import tpublish; print(tpublish.__file__)"],
        env={**os.environ, **tpublish_env()},
        capture_output=True,
        text=True,
        check=True,
        cwd=snapshot,
    ).stdout.strip()
    if not Path(where).resolve().is_relative_to(snapshot.resolve()):
        raise SystemExit(f"tpublish imports from {where}, not from the snapshot {snapshot}")


def common(tool: str, url: str) -> list[str]:
    return [str(BIN / tool), "upload", "--repository-url", url, "--non-interactive"]


@dataclass(frozen=True)
class Variant:
    """One way of running tpublish in a scenario."""

    label: str
    args: tuple[str, ...] = ()
    progress: bool = False  # on a pseudo-terminal, with progress bars; else ``--no-progress``


PLAIN = Variant("tpublish")
SEQUENTIAL = Variant("tpublish --concurrency 1", ("--concurrency", "1"))
WITH_BARS = Variant("tpublish, progress bars", progress=True)


def upload_commands(url: str, files: Sequence[Path], *, variants: Sequence[Variant]) -> list[Row]:
    names = [str(path) for path in files]
    rows = [
        Row(
            "",
            variant.label,
            [
                *common("tpublish", url),
                *([] if variant.progress else ["--no-progress"]),
                *variant.args,
                *names,
            ],
            baseline="twine",
            env={**tpublish_env(), **({"TERM": "xterm-256color"} if variant.progress else {})},
            tty=variant.progress,
        )
        for variant in variants
    ]
    rows.append(
        Row(
            "",
            "twine",
            [*common("twine", url), "--disable-progress-bar", *names],
            baseline="twine",
        )
    )
    return rows


def curl_command(url: str, user: str, password: str, wheels: Sequence[Path]) -> list[str]:
    """One curl posting every wheel's upload form, in turn, over one kept-alive connection.

    The digests are computed here, before timing: curl is the transfer alone, a lower bound.
    """
    command = ["curl"]
    for i, wheel in enumerate(wheels):
        name, version, *_, python, _abi, _platform = wheel.name[: -len(".whl")].split("-")
        form = {
            ":action": "file_upload",
            "protocol_version": "1",
            "name": name,
            "version": version,
            "filetype": "bdist_wheel",
            "pyversion": python,
            "metadata_version": "2.1",
            "sha256_digest": sha256_of(wheel),
        }
        if i:
            command.append("--next")  # options reset; the connection stays open
        command += ["-sS", "--fail-with-body", "-o", os.devnull, "-u", f"{user}:{password}"]
        for key, value in form.items():
            command += ["-F", f"{key}={value}"]
        command += ["-F", f"content=@{wheel}", url]
    return command


@contextlib.contextmanager
def index_server(work: Path) -> Iterator[Any]:
    from servers import pypiserver  # tests/ is on sys.path (see main)

    root = Path(tempfile.mkdtemp(prefix="server-", dir=work))
    with pypiserver(root) as server:
        yield server
    shutil.rmtree(root, ignore_errors=True)


class DelayProxy:
    """A TCP relay to ``127.0.0.1:target`` that holds every chunk ``rtt / 2`` in each direction.

    It makes the local index look distant (as PyPI is), which is where concurrent uploads pay off:
    against a local pypiserver the server's own CPU time per upload is the bottleneck.
    """

    def __init__(self, target: int, rtt: float) -> None:
        self.target = target
        self.delay = rtt / 2
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="delay-proxy", daemon=True)

    def __enter__(self) -> int:
        self._thread.start()
        self._ready.wait(10)
        return self.port

    def __exit__(self, *_exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        loop = self._loop
        server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown(server))
        loop.close()

    @staticmethod
    async def _shutdown(server: asyncio.Server) -> None:
        server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, client_in: StreamReader, client_out: StreamWriter) -> None:
        # Cancelled at shutdown: end quietly (asyncio logs a handler that ends by raising).
        with contextlib.suppress(asyncio.CancelledError):
            server_in, server_out = await asyncio.open_connection("127.0.0.1", self.target)
            await asyncio.sleep(2 * self.delay)  # the TCP handshake costs a round trip
            await asyncio.gather(
                self._pipe(client_in, server_out),
                self._pipe(server_in, client_out),
                return_exceptions=True,
            )

    async def _pipe(self, reader: StreamReader, writer: StreamWriter) -> None:
        loop = asyncio.get_running_loop()

        def write(data: bytes) -> None:
            if not writer.is_closing():
                writer.write(data)

        try:
            while data := await reader.read(1 << 16):
                loop.call_later(self.delay, write, data)  # equal delays keep the order
        finally:
            loop.call_later(self.delay, writer.close)


def upload_scenario(
    scenario: str,
    work: Path,
    files: Sequence[Path],
    repeat: int,
    *,
    variants: Sequence[Variant] = (PLAIN,),
    with_curl: bool = False,
    rtt_ms: float = 0.0,
) -> list[Row]:
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(index_server(work))
        url = server.url
        if rtt_ms:
            port = stack.enter_context(DelayProxy(urlsplit(url).port or 80, rtt_ms / 1000))
            url = f"http://127.0.0.1:{port}/"
        rows = upload_commands(url, files, variants=variants)
        if with_curl:
            curl = curl_command(url, server.username, server.password, files)
            rows.append(
                Row(
                    "",
                    "curl -F" if len(files) == 1 else "curl -F, 1 connection",
                    curl,
                    baseline="twine",
                )
            )
        for row in rows:
            row.scenario = scenario
        env = child_env(server.username, server.password)

        def before() -> None:
            clear(server.packages)
            os.sync()  # the previous run's server-side writes must not slow this one

        def after(round_: int, _row: Row) -> None:
            check_stored(server.packages, files, verify_content=round_ == 0)

        measure(rows, repeat, env, before=before, after=after)
    return rows


def startup_scenario(runs: int) -> list[Row]:
    tpublish, twine = str(BIN / "tpublish"), str(BIN / "twine")
    tp_env = tpublish_env()
    rows = [
        Row("startup", "tpublish --help", [tpublish, "--help"], "twine --help", tp_env),
        Row("startup", "tpublish --version", [tpublish, "--version"], "twine --version", tp_env),
        Row(
            "startup",
            "tpublish upload --help",
            [tpublish, "upload", "--help"],
            "twine --help",
            tp_env,
        ),
        Row("startup", "twine --help", [twine, "--help"], baseline="twine --help"),
        Row("startup", "twine --version", [twine, "--version"], baseline="twine --version"),
    ]
    env = child_env()
    for row in rows:  # warm the page cache and __pycache__; not counted
        run_child(row.command, {**env, **row.env})
    measure(rows, runs, env)
    return rows


MANY_PROJECT = "bench-release"
# A Markdown README, as a pyproject.toml's `readme = "README.md"` gives. (A reStructuredText one
# costs tpublish ~0.09 s more per distinct description: docutils renders it, as the index will.)
README: dict[str, Any] = {"extra_metadata": [("Description-Content-Type", "text/markdown")]}
PYTHON_TAGS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp313t", "cp314t"]
PLATFORM_TAGS = [
    *(f"manylinux_2_17_{arch}" for arch in ("x86_64", "aarch64", "i686", "ppc64le", "s390x")),
    *(f"manylinux_2_28_{arch}" for arch in ("x86_64", "aarch64", "armv7l")),
    *(f"musllinux_1_2_{arch}" for arch in ("x86_64", "aarch64", "i686", "armv7l")),
    "macosx_10_13_x86_64",
    "macosx_11_0_arm64",
    "macosx_10_13_universal2",
    "win32",
    "win_amd64",
    "win_arm64",
]


def release_tags(count: int) -> list[str]:
    """``count`` distinct, real wheel tags: one release built for many interpreters and platforms."""
    tags = [f"{py}-{py}-{platform}" for py in PYTHON_TAGS for platform in PLATFORM_TAGS]
    if count > len(tags):
        raise SystemExit(f"--many is at most {len(tags)}")
    return tags[:count]


def make_files(work: Path, big_bytes: int, many: int) -> dict[str, list[Path]]:
    from builders import make_wheel  # tests/ is on sys.path (see main)

    dist = work / "dist"
    rng = random.Random(20240601)
    started = time.perf_counter()
    files = {
        "big": [make_wheel(dist / "big", "bench-big", "1.0.0", payload_size=big_bytes, **README)],
        "mem": [make_wheel(dist / "mem", "bench-mem", "1.0.0", payload_size=MB, **README)],
        "many": [
            make_wheel(
                dist / "many",
                MANY_PROJECT,
                "1.0.0",
                tag=tag,
                payload_size=rng.randint(10_000, 50_000),
                **README,
            )
            for tag in release_tags(many)
        ],
    }
    print(
        f"built wheels in {time.perf_counter() - started:.1f} s: big "
        f"{files['big'][0].stat().st_size / MB:.1f} MB, a release of {many} small wheels "
        f"({sum(p.stat().st_size for p in files['many']) / MB:.2f} MB total), 1 MB",
        flush=True,
    )
    return files


def source_fingerprint(package: Path) -> str:
    """A digest of tpublish's source, to notice edits made while the benchmark runs."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted src changes' if dirty else ''}"


def versions() -> dict[str, str]:
    def first_line(command: list[str], extra: dict[str, str] | None = None) -> str:
        env = {**os.environ, **(extra or {})}
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        except OSError as exc:
            return f"unavailable ({exc})"
        return (result.stdout or result.stderr).strip().splitlines()[0]

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
        "tpublish": first_line([str(BIN / "tpublish"), "--version"], tpublish_env()),
        "twine": first_line([str(BIN / "twine"), "--version"]),
        "curl": first_line(["curl", "--version"]),
    }


def redact(text: str) -> str:
    from servers import PASSWORD

    return text.replace(PASSWORD, "***")


def ratio(rows: Sequence[Row], row: Row) -> float | None:
    base = [r.median for r in rows if r.scenario == row.scenario and r.tool == row.baseline]
    return row.median / base[0] if base else None


def table(rows: Sequence[Row]) -> str:
    header = (
        f"{'scenario':<9} {'tool':<24} {'runs':>4} {'median s':>9} {'min s':>8} "
        f"{'vs twine':>8} {'peak RSS MB':>11}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        factor = ratio(rows, row)
        shown = f"{factor:.2f}x" if factor is not None else "-"
        lines.append(
            f"{row.scenario:<9} {row.tool:<24} {len(row.seconds):>4} {row.median:>9.3f} "
            f"{min(row.seconds):>8.3f} {shown:>8} {row.peak_rss_mb:>11.1f}"
        )
    return "\n".join(lines)


def notes(rows: Sequence[Row], big_mb: float) -> list[str]:
    by = {(row.scenario, row.tool): row for row in rows}
    out = []
    big_t, curl = by.get(("big", "tpublish")), by.get(("big", "curl -F"))
    if big_t and curl:
        out.append(
            f"big: tpublish/curl = {big_t.median / curl.median:.2f}x "
            f"(tpublish {big_mb / big_t.median:.0f} MB/s, curl {big_mb / curl.median:.0f} MB/s; "
            "curl's sha256 is computed before timing)"
        )
    for scenario in sorted({row.scenario for row in rows if row.scenario.startswith("many")}):
        tp, twine = by.get((scenario, "tpublish")), by.get((scenario, "twine"))
        floor = by.get((scenario, "curl -F, 1 connection"))
        if tp and twine and floor:
            out.append(
                f"{scenario}: twine/tpublish = {twine.median / tp.median:.1f}x; curl posting the"
                f" same forms on one connection, digests precomputed, takes {floor.median:.3f} s:"
                f" no sequential client can beat twine by more than"
                f" {twine.median / floor.median:.1f}x here"
            )
    for scenario in ("many", "big"):
        plain, bars = by.get((scenario, PLAIN.label)), by.get((scenario, WITH_BARS.label))
        if plain and bars:
            out.append(
                f"{scenario}: progress bars on a terminal cost"
                f" {(bars.median / plain.median - 1) * 100:+.0f}% ({bars.median:.3f} s vs"
                f" {plain.median:.3f} s with --no-progress)"
            )
    for tool in ("tpublish", "twine"):
        small, big = by.get(("mem-1MB", tool)), by.get(("big", tool))
        if small and big:
            out.append(
                f"peak RSS {tool}: {small.peak_rss_mb:.1f} MB (1 MB wheel) -> "
                f"{big.peak_rss_mb:.1f} MB ({big_mb:.0f} MB wheel)"
            )
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (smoke test)")
    parser.add_argument("--repeat", type=int, help="rounds for small scenarios [5; quick: 1]")
    parser.add_argument("--big-repeat", type=int, help="rounds for the big upload [3; quick: 1]")
    parser.add_argument("--startup-runs", type=int, help="runs per start-up command [10; quick: 3]")
    parser.add_argument("--big-mb", type=float, help="big wheel payload in MB [500; quick: 50]")
    parser.add_argument("--many", type=int, help="number of small wheels [100; quick: 20]")
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=50.0,
        help="also run 'many' through a relay adding this round-trip time; 0: skip [50]",
    )
    parser.add_argument(
        "--only",
        default="startup,many,big,mem",
        help="comma-separated scenarios to run [startup,many,big,mem]",
    )
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="run tpublish from the working tree, not from a copy of src/ taken at the start",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "repeat": 1 if quick else 5,
        "big_repeat": 1 if quick else 3,
        "startup_runs": 3 if quick else 10,
        "big_mb": 50.0 if quick else 500.0,
        "many": 20 if quick else 100,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = args.only - {"startup", "many", "big", "mem"}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO / "tests"))
    for tool in ("tpublish", "twine"):
        if not (BIN / tool).exists():
            raise SystemExit(f"{BIN / tool} not found: run from the dev venv")
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} not found (apt-get install time)")
    if "big" in args.only and shutil.which("curl") is None:
        raise SystemExit("curl not found (apt-get install curl)")

    global SNAPSHOT
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="tpublish-bench-"))
    fingerprint = source_fingerprint(REPO / "src" / "tpublish")
    if not args.no_snapshot:
        SNAPSHOT = snapshot_source(work)
        check_snapshot_used(SNAPSHOT)
        fingerprint = source_fingerprint(SNAPSHOT / "tpublish")
    env_info = versions()
    env_info["git"] = git_state()
    env_info["source"] = fingerprint + (" (snapshot)" if SNAPSHOT else " (working tree)")
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"warning: load average {load_before:.2f} before start: numbers will be noisy")
    print(" | ".join(f"{key} {value}" for key, value in env_info.items()), flush=True)
    rows: list[Row] = []
    try:
        files = make_files(work, int(args.big_mb * MB) if "big" in args.only else 0, args.many)
        if "startup" in args.only:
            rows += startup_scenario(args.startup_runs)
        if "many" in args.only:
            variants = [PLAIN, SEQUENTIAL, WITH_BARS]
            rows += upload_scenario(
                "many", work, files["many"], args.repeat, variants=variants, with_curl=True
            )
        if "many" in args.only and args.rtt_ms > 0:
            rows += upload_scenario(
                f"many@{args.rtt_ms:g}ms",
                work,
                files["many"],
                args.repeat,
                variants=[PLAIN, SEQUENTIAL],
                with_curl=True,
                rtt_ms=args.rtt_ms,
            )
        if "big" in args.only:
            rows += upload_scenario(
                "big",
                work,
                files["big"],
                args.big_repeat,
                variants=[PLAIN, WITH_BARS],
                with_curl=True,
            )
        if "mem" in args.only:
            rows += upload_scenario("mem-1MB", work, files["mem"], args.repeat)
    except BenchmarkError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    big_mb = args.big_mb
    print()
    print(table(rows))
    for line in notes(rows, big_mb):
        print(line)
    total = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    print(f"total {total:.0f} s; load average {load_before:.2f} before, {load_after:.2f} after")
    warnings = []
    if source_fingerprint(REPO / "src" / "tpublish") != fingerprint:
        warnings.append(
            "src/tpublish changed during the run; the runs used the snapshot taken at the start"
            if SNAPSHOT
            else "src/tpublish changed during the run: results mix two versions"
        )
    for warning in warnings:
        print(f"WARNING: {warning}")
    if args.out:
        payload = {
            "environment": env_info,
            "settings": {
                **{key: value for key, value in vars(args).items() if key != "out"},
                "only": sorted(args.only),
            },
            "total_seconds": total,
            "load_average": [load_before, load_after],
            "warnings": warnings,
            "results": [
                {
                    "scenario": row.scenario,
                    "tool": row.tool,
                    "command": [redact(part) for part in row.command],
                    "seconds": row.seconds,
                    "median_seconds": row.median,
                    "ratio_vs_twine": ratio(rows, row),
                    "peak_rss_kb": row.rss_kb,
                }
                for row in rows
            ],
        }
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
