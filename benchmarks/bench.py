"""Benchmark tpublish against twine, uv and a raw curl upload on a local pypiserver.

Usage::

    python benchmarks/bench.py [--quick] [--only CASES] [--repeat N] [--out FILE]

Cases (``--only`` keys), each with every tool run alternately, in an order that rotates every
round, so drift hits every tool alike:

* ``startup``: each tool's own ``--help`` (and ``--version``, ``upload --help``).
* ``own``:     this project's own sdist + wheel, built once with ``python -m build``.
* ``many``:    one release of N small wheels (10-50 kB) in one command, on loopback.
* ``delay``:   the same through a relay that holds every chunk ``--delay-ms`` (25) each way, since
  a local pypiserver answers too fast for round trips to matter.
* ``big``:     one large wheel (200 MB): wall time, CPU time and peak RSS.
* ``mem``:     a 1 MB wheel, whose peak RSS next to the big upload's shows whether memory grows
  with the file.

Every child's wall time is measured from spawn to exit; its CPU time is the user + system time
that ``wait4()`` reports for it; its peak RSS is GNU time's ``%M`` (``/usr/bin/time``) for that
one process. A run that exits non-zero, or after which the index does not hold exactly the
expected files, aborts the benchmark. Each case ends with the ratios issue 15 sets targets for.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import hashlib
import importlib
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
MIB = 1 << 20
TIME = "/usr/bin/time"  # GNU time (Debian package "time")
SNAPSHOT: Path | None = None  # a copy of src/ that tpublish runs from (see snapshot_source)
UV: str | None = None  # the uv binary, when there is one (see find_uv)

# Variables that would make a tool behave as in CI (trusted publishing, annotations, ...) or read
# settings other than the benchmark's (an index URL, a config file, a token).
CI_VARS = {"CI", "BUILD_ID", "BUILD_NUMBER", "JENKINS_URL", "TF_BUILD", "TEAMCITY_VERSION"}
CI_PREFIXES = (
    "TPUBLISH_",
    "TWINE_",
    "UV_",
    "GITHUB_",
    "GITLAB_",
    "ACTIONS_",
    "RUNNER_",
    "BUILDKITE",
    "CIRCLE",
    "TRAVIS",
    "CI_",
)

CASES = ("startup", "own", "many", "delay", "big", "mem")
ALIASES = {"help": "startup"}
PEERS = ("twine", "uv")  # the other uploaders; curl is the floor, not a peer
RSS_LIMIT_MIB = 50.0  # issue 15: peak RSS at most this on the big wheel ...
RSS_GROWTH_MIB = 5.0  # ... and "flat in file size": at most this much above the small wheel's


class BenchmarkError(RuntimeError):
    """A run failed: its timing would be meaningless."""


@dataclass
class Row:
    """One command measured in one case."""

    case: str
    family: str  # "tpublish", "twine", "uv" or "curl": whose figures this row gives
    label: str
    command: list[str]
    kind: str = ""  # what is compared across families: "--help", "--version", ... ("": upload)
    primary: bool = True  # the row that stands for its family in ratios (False: a variant)
    env: dict[str, str] = field(default_factory=dict)  # added to the case's environment
    tty: bool = False  # run on a pseudo-terminal, as a person at a terminal would
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_seconds)

    @property
    def peak_rss_mib(self) -> float:
        return max(self.rss_kb) / 1024


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
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
        env.update(UV_PUBLISH_USERNAME=username, UV_PUBLISH_PASSWORD=password)
    return env


def run_child(command: Sequence[str], env: dict[str, str], *, tty: bool = False) -> Run:
    """Run one command to completion; return its wall time, CPU time and peak RSS, or raise.

    CPU time is user + system time from ``wait4()`` on the GNU time process, which includes the
    command it waited for (GNU time's own share is about a millisecond). Peak RSS comes from GNU
    time (``%M``), not from ``wait4()``: Linux carries the forking process's high-water RSS into
    the child's ``ru_maxrss``, so every child would look at least as big as this benchmark
    process. GNU time is a small C program, so its floor is ~2 MB.

    With ``tty``, stdout and stderr are a 120x40 pseudo-terminal that a thread reads as fast as
    the child writes, so progress bars are drawn as they would be for a person watching.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
            wrapped = [TIME, "-f", "%M", "-o", rss.name, *command]

            def timed(stdout: Any, stderr: Any) -> tuple[float, float, int]:
                start = time.perf_counter()
                process = subprocess.Popen(
                    wrapped, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env
                )
                _pid, status, usage = os.wait4(process.pid, 0)
                elapsed = time.perf_counter() - start
                process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
                return elapsed, usage.ru_utime + usage.ru_stime, process.returncode

            if tty:
                from terminal import pseudo_terminal  # tests/ is on sys.path (see main)

                with pseudo_terminal(120, 40) as (terminal, chunks):
                    elapsed, cpu, returncode = timed(terminal, terminal)
                out.write(b"".join(chunks))  # all of it: the reader has ended
            else:
                elapsed, cpu, returncode = timed(out, err)
            rss_text = rss.read().strip()
        if returncode != 0:
            out.seek(0)
            err.seek(0)
            raise BenchmarkError(
                f"exit code {returncode}: {redact(' '.join(command))[:300]}\n"
                f"--- stdout ---\n{out.read().decode(errors='replace')[-4000:]}\n"
                f"--- stderr ---\n{err.read().decode(errors='replace')[-4000:]}"
            )
    return Run(elapsed, cpu, int(rss_text.splitlines()[-1]))


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
            row.cpu_seconds.append(run.cpu_seconds)
            row.rss_kb.append(run.rss_kb)
            print(
                f"  {row.case:<7} {row.label:<26} round {round_ + 1}/{repeat}: "
                f"{run.seconds:7.3f} s  cpu {run.cpu_seconds:6.3f} s  {run.rss_kb / 1024:6.1f} MiB",
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


def find_uv(explicit: str | None) -> str | None:
    """The uv binary: ``--uv``, else the ``uv`` package's own, else one on PATH."""
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    try:
        found: str = importlib.import_module("uv").find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")
    return found


def common(tool: str, url: str) -> list[str]:
    return [str(BIN / tool), "upload", "--repository-url", url, "--non-interactive"]


def uv_publish(url: str, names: Sequence[str]) -> list[str]:
    """``uv publish`` to ``url`` only: no config files, no trusted publishing, no progress bars.

    The credentials come from ``UV_PUBLISH_USERNAME`` / ``UV_PUBLISH_PASSWORD`` (see child_env).
    Without ``--check-url`` uv asks the index nothing before uploading, as twine and tpublish
    (without ``--skip-existing``) do not.
    """
    assert UV is not None
    return [
        UV,
        "publish",
        "--no-config",
        "--no-progress",
        "--trusted-publishing",
        "never",
        "--publish-url",
        url,
        *names,
    ]


@dataclass(frozen=True)
class Variant:
    """One way of running tpublish in a case."""

    label: str
    args: tuple[str, ...] = ()
    progress: bool = False  # on a pseudo-terminal, with progress bars; else ``--no-progress``


PLAIN = Variant("tpublish")
SEQUENTIAL = Variant("tpublish --concurrency 1", ("--concurrency", "1"))
WITH_BARS = Variant("tpublish, progress bars", progress=True)


def upload_commands(url: str, files: Sequence[Path], *, variants: Sequence[Variant]) -> list[Row]:
    """tpublish (each variant; the first is the one ratios use), twine and uv uploading ``files``."""
    names = [str(path) for path in files]
    rows = [
        Row(
            "",
            "tpublish",
            variant.label,
            [
                *common("tpublish", url),
                *([] if variant.progress else ["--no-progress"]),
                *variant.args,
                *names,
            ],
            primary=i == 0,
            env={**tpublish_env(), **({"TERM": "xterm-256color"} if variant.progress else {})},
            tty=variant.progress,
        )
        for i, variant in enumerate(variants)
    ]
    rows.append(
        Row("", "twine", "twine", [*common("twine", url), "--disable-progress-bar", *names])
    )
    if UV:
        rows.append(Row("", "uv", "uv publish", uv_publish(url, names)))
    return rows


def upload_form(path: Path) -> dict[str, str]:
    """The fields an upload client sends with ``path``, as far as pypiserver needs them."""
    if path.name.endswith(".whl"):
        name, version, *_, python, _abi, _platform = path.name[: -len(".whl")].split("-")
        filetype = "bdist_wheel"
    elif path.name.endswith(".tar.gz"):
        name, version = path.name[: -len(".tar.gz")].rsplit("-", 1)
        filetype, python = "sdist", "source"
    else:
        raise ValueError(f"not a wheel or sdist: {path.name}")
    return {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": filetype,
        "pyversion": python,
        "metadata_version": "2.1",
        "sha256_digest": sha256_of(path),
    }


def curl_command(url: str, user: str, password: str, files: Sequence[Path]) -> list[str]:
    """One curl posting every file's upload form, in turn, over one kept-alive connection.

    The digests are computed here, before timing: curl is the transfer alone, a lower bound.
    """
    command = ["curl"]
    for i, path in enumerate(files):
        if i:
            command.append("--next")  # options reset; the connection stays open
        command += ["-sS", "--fail-with-body", "-o", os.devnull, "-u", f"{user}:{password}"]
        for key, value in upload_form(path).items():
            command += ["-F", f"{key}={value}"]
        command += ["-F", f"content=@{path}", url]
    return command


@contextlib.contextmanager
def index_server(work: Path) -> Iterator[Any]:
    from servers import pypiserver  # tests/ is on sys.path (see main)

    root = Path(tempfile.mkdtemp(prefix="server-", dir=work))
    with pypiserver(root) as server:
        yield server
    shutil.rmtree(root, ignore_errors=True)


class DelayProxy:
    """A TCP relay to ``127.0.0.1:target`` that holds every chunk ``delay`` in each direction.

    ``delay`` is one-way, in seconds: 0.025 gives a 50 ms round-trip time. A new connection waits
    one round trip before its first byte goes on, as a TCP handshake would. It makes the local
    index look distant (as PyPI is), which is where concurrent uploads pay off: against a local
    pypiserver the server's own CPU time per upload is the bottleneck. Bandwidth is not limited.
    """

    def __init__(self, target: int, delay: float) -> None:
        self.target = target
        self.delay = delay
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


def upload_case(
    case: str,
    work: Path,
    files: Sequence[Path],
    repeat: int,
    *,
    variants: Sequence[Variant] = (PLAIN,),
    with_curl: bool = False,
    delay_ms: float = 0.0,
) -> list[Row]:
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(index_server(work))
        url = server.url
        if delay_ms:
            port = stack.enter_context(DelayProxy(urlsplit(url).port or 80, delay_ms / 1000))
            url = f"http://127.0.0.1:{port}/"
        rows = upload_commands(url, files, variants=variants)
        if with_curl:
            curl = curl_command(url, server.username, server.password, files)
            label = "curl -F" if len(files) == 1 else "curl -F, 1 connection"
            rows.append(Row("", "curl", label, curl))
        for row in rows:
            row.case = case
        env = child_env(server.username, server.password)

        def before() -> None:
            clear(server.packages)
            os.sync()  # the previous run's server-side writes must not slow this one

        def after(round_: int, _row: Row) -> None:
            check_stored(server.packages, files, verify_content=round_ == 0)

        measure(rows, repeat, env, before=before, after=after)
    return rows


def startup_case(runs: int) -> list[Row]:
    tpublish, twine = str(BIN / "tpublish"), str(BIN / "twine")
    tp_env = tpublish_env()
    rows = [
        Row("startup", "tpublish", "tpublish --help", [tpublish, "--help"], "--help", env=tp_env),
        Row(
            "startup",
            "tpublish",
            "tpublish --version",
            [tpublish, "--version"],
            "--version",
            env=tp_env,
        ),
        Row(
            "startup",
            "tpublish",
            "tpublish upload --help",
            [tpublish, "upload", "--help"],
            "upload --help",
            env=tp_env,
        ),
        Row("startup", "twine", "twine --help", [twine, "--help"], "--help"),
        Row("startup", "twine", "twine --version", [twine, "--version"], "--version"),
        Row(
            "startup", "twine", "twine upload --help", [twine, "upload", "--help"], "upload --help"
        ),
    ]
    if UV:
        rows += [
            Row("startup", "uv", "uv --help", [UV, "--no-config", "--help"], "--help"),
            Row("startup", "uv", "uv --version", [UV, "--version"], "--version"),
            Row(
                "startup",
                "uv",
                "uv publish --help",
                [UV, "--no-config", "publish", "--help"],
                "upload --help",
            ),
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


def build_own(directory: Path) -> list[Path]:
    """This project's own sdist and wheel, built from the working tree as a release would be.

    ``--no-isolation``: the build backend (hatchling) is in the dev venv, and no index is needed.
    """
    directory.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(directory), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"python -m build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    files = sorted(directory.iterdir())  # the wheel sorts first, as dist/* would give it
    if [path.suffix for path in files] != [".whl", ".gz"]:
        raise SystemExit(f"python -m build made {[path.name for path in files]}")
    return files


def make_files(work: Path, args: argparse.Namespace) -> dict[str, list[Path]]:
    from builders import make_wheel  # tests/ is on sys.path (see main)

    dist = work / "dist"
    rng = random.Random(20240601)
    started = time.perf_counter()
    files: dict[str, list[Path]] = {}
    if "own" in args.only:
        files["own"] = build_own(dist / "own")
    if "big" in args.only:
        big = int(args.big_mb * MB)
        files["big"] = [make_wheel(dist / "big", "bench-big", "1.0.0", payload_size=big, **README)]
    if "mem" in args.only:
        small = int(args.mem_mb * MB)
        files["mem"] = [
            make_wheel(dist / "mem", "bench-mem", "1.0.0", payload_size=small, **README)
        ]
    if {"many", "delay"} & args.only:
        files["many"] = [
            make_wheel(
                dist / "many",
                MANY_PROJECT,
                "1.0.0",
                tag=tag,
                payload_size=rng.randint(10_000, 50_000),
                **README,
            )
            for tag in release_tags(args.many)
        ]
    described = [
        f"{key} {len(paths)} file(s), {sum(path.stat().st_size for path in paths) / MB:.2f} MB"
        for key, paths in files.items()
    ]
    print(f"built in {time.perf_counter() - started:.1f} s: {'; '.join(described)}", flush=True)
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
        "uv": first_line([UV, "--version"]) if UV else "not found: skipped",
        "curl": first_line(["curl", "--version"]),
    }


def redact(text: str) -> str:
    from servers import PASSWORD

    return text.replace(PASSWORD, "***")


# --- results -------------------------------------------------------------------------------------


def peer(rows: Sequence[Row], case: str, family: str, kind: str = "") -> Row | None:
    """The row standing for ``family`` in ``case`` (for ``kind``), if it was measured."""
    for row in rows:
        if row.case == case and row.family == family and row.kind == kind and row.primary:
            return row
    return None


def ratio_to(rows: Sequence[Row], row: Row, family: str) -> float | None:
    other = peer(rows, row.case, family, row.kind)
    return row.median / other.median if other and other is not row else None


def fastest_peer(rows: Sequence[Row], case: str, kind: str = "") -> Row | None:
    found = [row for family in PEERS if (row := peer(rows, case, family, kind))]
    return min(found, key=lambda row: row.median) if found else None


def ratios(rows: Sequence[Row], case: str) -> dict[str, float]:
    """The ratios of tpublish's medians to its peers' in ``case`` (those that were measured)."""
    kind = "--help" if case == "startup" else ""
    tp = peer(rows, case, "tpublish", kind)
    if tp is None:
        return {}
    out: dict[str, float] = {}
    for family in (*PEERS, "curl"):
        other = peer(rows, case, family, kind)
        if other:
            out[f"tpublish/{family}"] = tp.median / other.median
            if family != "curl":
                out[f"tpublish cpu/{family} cpu"] = tp.cpu / other.cpu
    fastest = fastest_peer(rows, case, kind)
    if fastest:
        out[f"tpublish/fastest peer ({fastest.family})"] = tp.median / fastest.median
    return out


@dataclass
class Target:
    """One of issue 15's targets, as this run measured it (``value`` None: not measured)."""

    case: str
    text: str
    value: float | None
    limit: float
    unit: str = "x"

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.limit

    def line(self) -> str:
        shown = "not measured" if self.value is None else f"{self.value:.2f}{self.unit}"
        verdict = {True: "met", False: "NOT MET", None: "-"}[self.met]
        return f"target: {self.text} <= {self.limit:g}{self.unit}: {shown}  {verdict}"


def targets(rows: Sequence[Row]) -> list[Target]:
    def over(case: str, family: str, kind: str = "") -> float | None:
        tp, other = peer(rows, case, "tpublish", kind), peer(rows, case, family, kind)
        return tp.median / other.median if tp and other else None

    out = [
        Target(
            "startup", "tpublish --help / twine --help", over("startup", "twine", "--help"), 0.4
        ),
        Target("own", "tpublish / twine", over("own", "twine"), 0.5),
        Target("many", "tpublish / twine", over("many", "twine"), 0.65),
    ]
    tp, fastest = peer(rows, "delay", "tpublish"), fastest_peer(rows, "delay")
    missing = [family for family in PEERS if tp and not peer(rows, "delay", family)]
    out.append(
        Target(
            "delay",
            f"tpublish / fastest peer ({fastest.family if fastest else 'twine, uv'}"
            + "".join(f"; {family} not measured" for family in missing)
            + ")",
            tp.median / fastest.median if tp and fastest else None,
            0.2,
        )
    )
    tp, uv = peer(rows, "big", "tpublish"), peer(rows, "big", "uv")
    out.append(Target("big", "tpublish CPU / uv CPU", tp.cpu / uv.cpu if tp and uv else None, 1.0))
    out.append(
        Target("big", "tpublish peak RSS", tp.peak_rss_mib if tp else None, RSS_LIMIT_MIB, " MiB")
    )
    small = peer(rows, "mem", "tpublish")
    out.append(
        Target(
            "big",
            "tpublish peak RSS growth, small wheel -> big wheel",
            tp.peak_rss_mib - small.peak_rss_mib if tp and small else None,
            RSS_GROWTH_MIB,
            " MiB",
        )
    )
    return out


def case_table(rows: Sequence[Row], title: str) -> str:
    header = (
        f"{'tool':<26} {'runs':>4} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} "
        f"{'RSS MiB':>8} {'vs twine':>8} {'vs uv':>7}"
    )
    lines = [f"== {title} ==", header, "-" * len(header)]
    for row in rows:
        versus = [ratio_to(rows, row, family) for family in PEERS]
        shown = [f"{factor:.2f}x" if factor is not None else "-" for factor in versus]
        lines.append(
            f"{row.label:<26} {len(row.seconds):>4} {row.median:>9.3f} {min(row.seconds):>7.3f} "
            f"{max(row.seconds):>7.3f} {row.cpu:>7.3f} {row.peak_rss_mib:>8.1f} "
            f"{shown[0]:>8} {shown[1]:>7}"
        )
    return "\n".join(lines)


def notes(rows: Sequence[Row], case: str, megabytes: float) -> list[str]:
    """What else a case's figures say: throughput, the curl floor, progress bars' cost."""
    by = {row.label: row for row in rows if row.case == case}
    out = []
    found = ratios(rows, case)
    if found:
        out.append("ratios: " + ", ".join(f"{key} {value:.2f}x" for key, value in found.items()))
    tp = by.get(PLAIN.label)
    curl = next((row for row in by.values() if row.family == "curl"), None)
    if case == "big" and tp and curl:
        out.append(
            f"throughput: tpublish {megabytes / tp.median:.0f} MB/s, curl"
            f" {megabytes / curl.median:.0f} MB/s (curl's sha256 is computed before timing)"
        )
    if case in ("many", "delay") and curl:
        slowest = max(
            (r for r in by.values() if r.family in PEERS), key=lambda r: r.median, default=None
        )
        if slowest:
            out.append(
                f"curl posting the same forms on one connection, digests precomputed, takes"
                f" {curl.median:.3f} s: no sequential client can beat {slowest.label} by more"
                f" than {slowest.median / curl.median:.1f}x here"
            )
    bars = by.get(WITH_BARS.label)
    if tp and bars:
        out.append(
            f"progress bars on a terminal cost {(bars.median / tp.median - 1) * 100:+.0f}%"
            f" ({bars.median:.3f} s vs {tp.median:.3f} s with --no-progress)"
        )
    if case == "big":
        for family in ("tpublish", *PEERS):
            small, big = peer(rows, "mem", family), peer(rows, "big", family)
            if small and big:
                out.append(
                    f"peak RSS {family}: {small.peak_rss_mib:.1f} MiB (small wheel) ->"
                    f" {big.peak_rss_mib:.1f} MiB (big wheel)"
                )
    return out


def case_titles(args: argparse.Namespace, files: dict[str, list[Path]]) -> dict[str, str]:
    own = files.get("own", [])
    own_size = sum(path.stat().st_size for path in own) / 1000
    own_name = own[0].name.split("-")[0] + " " + own[0].name.split("-")[1] if own else ""
    return {
        "startup": f"startup: each tool's --help, --version (median of {args.startup_runs})",
        "own": f"own: this project's sdist + wheel ({own_name}, {own_size:.0f} kB; median of {args.repeat})",
        "many": f"many: {args.many} small wheels, loopback (median of {args.repeat})",
        "delay": (
            f"delay: {args.many} small wheels, {args.delay_ms:g} ms each way"
            f" ({2 * args.delay_ms:g} ms RTT; median of {args.repeat})"
        ),
        "big": f"big: one {args.big_mb:g} MB wheel (median of {args.big_repeat})",
        "mem": f"mem: one {args.mem_mb:g} MB wheel, for peak RSS (median of {args.repeat})",
    }


def report(rows: Sequence[Row], titles: dict[str, str], args: argparse.Namespace) -> list[Target]:
    checks = targets(rows)
    for case in CASES:
        in_case = [row for row in rows if row.case == case]
        if not in_case:
            continue
        print()
        print(case_table(in_case, titles[case]))
        megabytes = args.big_mb if case == "big" else args.mem_mb
        for line in notes(rows, case, megabytes):
            print(f"  {line}")
        for check in checks:
            if check.case == case and check.value is not None:
                print(f"  {check.line()}")
    print()
    print(
        "targets (issue 15)"
        + (" -- quick run: sizes and counts differ from the issue's" if args.quick else "")
    )
    for check in checks:
        print(f"  {check.case:<7} {check.line()}")
    return checks


# --- command line --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (smoke test)")
    parser.add_argument("--repeat", type=int, help="rounds for the upload cases [5; quick: 1]")
    parser.add_argument("--big-repeat", type=int, help="rounds for the big upload [5; quick: 1]")
    parser.add_argument("--startup-runs", type=int, help="runs per start-up command [10; quick: 3]")
    parser.add_argument("--big-mb", type=float, help="big wheel payload in MB [200; quick: 50]")
    parser.add_argument("--mem-mb", type=float, default=1.0, help="small wheel for RSS, MB [1]")
    parser.add_argument("--many", type=int, help="number of small wheels [100; quick: 20]")
    parser.add_argument(
        "--delay-ms",
        type=float,
        default=25.0,
        help="one-way delay the relay adds in the 'delay' case; 0: skip that case [25]",
    )
    parser.add_argument(
        "--rtt-ms", type=float, help="round-trip time instead: the same as --delay-ms RTT/2"
    )
    parser.add_argument(
        "--only",
        default=",".join(CASES),
        help=f"comma-separated cases to run [{','.join(CASES)}]; 'help' = 'startup'",
    )
    parser.add_argument("--uv", metavar="PATH", help="the uv binary [the uv package's, or PATH's]")
    parser.add_argument("--no-uv", action="store_true", help="leave uv out")
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
        "big_repeat": 1 if quick else 5,
        "startup_runs": 3 if quick else 10,
        "big_mb": 50.0 if quick else 200.0,
        "many": 20 if quick else 100,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.rtt_ms is not None:
        args.delay_ms = args.rtt_ms / 2
    names = {name.strip() for name in args.only.split(",") if name.strip()}
    args.only = {ALIASES.get(name, name) for name in names}
    unknown = args.only - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))} (known: {', '.join(CASES)})")
    if args.delay_ms <= 0:
        args.only.discard("delay")
    return args


def run_cases(args: argparse.Namespace, work: Path, files: dict[str, list[Path]]) -> list[Row]:
    rows: list[Row] = []
    if "startup" in args.only:
        rows += startup_case(args.startup_runs)
    if "own" in args.only:
        rows += upload_case("own", work, files["own"], args.repeat, with_curl=True)
    if "many" in args.only:
        variants = [PLAIN, SEQUENTIAL, WITH_BARS]
        rows += upload_case(
            "many", work, files["many"], args.repeat, variants=variants, with_curl=True
        )
    if "delay" in args.only:
        rows += upload_case(
            "delay",
            work,
            files["many"],
            args.repeat,
            variants=[PLAIN, SEQUENTIAL],
            with_curl=True,
            delay_ms=args.delay_ms,
        )
    if "big" in args.only:
        rows += upload_case(
            "big", work, files["big"], args.big_repeat, variants=[PLAIN, WITH_BARS], with_curl=True
        )
    if "mem" in args.only:
        rows += upload_case("mem", work, files["mem"], args.repeat)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO / "tests"))
    for tool in ("tpublish", "twine"):
        if not (BIN / tool).exists():
            raise SystemExit(f"{BIN / tool} not found: run from the dev venv")
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} not found (apt-get install time)")
    if args.only - {"startup"} and shutil.which("curl") is None:
        raise SystemExit("curl not found (apt-get install curl)")

    global SNAPSHOT, UV
    if not args.no_uv:
        UV = find_uv(args.uv)
        if UV is None:
            print("note: uv not found (pip install uv, or --uv PATH): its rows are skipped")
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
    if SNAPSHOT is None and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "warning: PYTHONDONTWRITEBYTECODE is set and --no-snapshot runs src/ as it is: without"
            " .pyc files tpublish compiles its modules on every start (~40 ms on 2 cores)"
        )
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"warning: load average {load_before:.2f} before start: numbers will be noisy")
    print(" | ".join(f"{key} {value}" for key, value in env_info.items()), flush=True)
    try:
        files = make_files(work, args)
        titles = case_titles(args, files)
        rows = run_cases(args, work, files)
    except BenchmarkError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    checks = report(rows, titles, args)
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
        write_json(args, rows, checks, titles, env_info, total, (load_before, load_after), warnings)
    return 0


def write_json(
    args: argparse.Namespace,
    rows: Sequence[Row],
    checks: Sequence[Target],
    titles: dict[str, str],
    env_info: dict[str, str],
    total: float,
    load: tuple[float, float],
    warnings: list[str],
) -> None:
    payload = {
        "environment": env_info,
        "settings": {
            **{key: value for key, value in vars(args).items() if key != "out"},
            "only": sorted(args.only),
        },
        "total_seconds": total,
        "load_average": list(load),
        "warnings": warnings,
        "cases": {case: titles[case] for case in CASES if any(row.case == case for row in rows)},
        "results": [
            {
                "case": row.case,
                "scenario": row.case,  # the name older result files used
                "tool": row.label,
                "family": row.family,
                "kind": row.kind,
                "primary": row.primary,
                "command": [redact(part) for part in row.command],
                "seconds": row.seconds,
                "median_seconds": row.median,
                "min_seconds": min(row.seconds),
                "max_seconds": max(row.seconds),
                "cpu_seconds": row.cpu_seconds,
                "median_cpu_seconds": row.cpu,
                "peak_rss_kb": row.rss_kb,
                "ratio_vs_twine": ratio_to(rows, row, "twine"),
                "ratio_vs_uv": ratio_to(rows, row, "uv"),
            }
            for row in rows
        ],
        "ratios": {case: ratios(rows, case) for case in CASES if ratios(rows, case)},
        "targets": [
            {
                "case": check.case,
                "target": check.text,
                "value": check.value,
                "limit": check.limit,
                "unit": check.unit.strip(),
                "met": check.met,
            }
            for check in checks
        ],
    }
    args.out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
