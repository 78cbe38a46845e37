"""Start the student's process in an operating-system sandbox, and clean up after it.

Student code is hostile: it runs at definition time (class bodies, decorators, default
arguments) and inside every graded function, and may try to change grades, read hidden
material, reach the network, outlive its grading or harm other submissions. Three levels of
isolation, strongest first; every result records the one in force (:meth:`Sandbox.describe`):

``"bwrap"``
    bubblewrap namespaces: no network (its own network namespace), its own PID namespace (it
    sees and signals only its own processes; all of them die with it), a read-only view of the
    interpreter and of the kit's *student side* only (collector, data, challenge format; never
    the checker or the grader), its own working folder as the only writable place besides a
    private, size-capped ``/tmp``; and an unprivileged user that owns no file outside it.
``"user"``
    No namespaces (Gradescope's containers usually forbid them), but the grader is root: the
    student's code runs as an unprivileged user of its own, which cannot write the grader's
    files or signal the grader, and every process of that user is killed before its answers are
    read. Where the kernel allows (:func:`confinement_problem`), :mod:`mnist_kit.confine` also
    shuts it out of the network (a seccomp filter: Unix sockets only) and out of every file
    but its own folder to write and the system's, Python's and the kit's student side to read
    (Landlock): the host's ``/tmp`` and ``/dev/shm``, and so other gradings, are out of reach.
    Where it does not, those stay within its reach, and every result says so.
``"none"``
    The grader's own user; only the resource limits and the out-of-process checker protect
    the grade. Used only when the instructor asks for it (``--no-sandbox``).

Every level sets the same limits, which the student's code cannot lift: address space, file
size, number of processes and threads, open files (and the CPU time, enforced by the grader).
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import confine, data, manifest, spec
from .budget import Budget, unmount
from .limits import Limits as Limits  # the limits a sandboxed run is held to, named where they are enforced


@dataclass(frozen=True)
class SubmissionRun:
    """One submission's processes: the work folder they run in, the user they run as, their limits and their budget."""

    workdir: Path
    uid: int
    limits: Limits
    budget: Budget | None = None
    # The files the grader hands the student's process (name in ``workdir``: bytes), written
    # afresh before every run: what a previous run of the student's code left there is never read.
    handed: Mapping[str, bytes] = field(default_factory=dict)


KINDS = ("bwrap", "user", "none")
PACKAGE = Path(__file__).resolve().parent
INSIDE_WORKDIR = "/submission"
INSIDE_KIT = "/opt/mnist-kit"
# Unprivileged users no account uses: one per submission graded at once, so that the limit on
# processes and the final kill of everything a user runs never touch a neighbour.
UID_BASE = 2_000_000_000
UID_POOL_SIZE = 64
PROBE_UID = UID_BASE - 1  # checks that the sandbox works, outside the pool so it never meets a grading
LEASE_DIR = Path("/run/mnist-kit-users")  # root only: which grading holds which user id
STUDENT_ACCOUNT = spec.STUDENT_ACCOUNT
WORK_PREFIX = "mnist-kit-work-"  # a grading's private folder in the temporary folder
PRIVATE_TMP_BYTES = 2 * 2**30  # joblib spills arrays of a few hundred MB here
INSTALL_HINT = "install bubblewrap (sudo apt-get install bubblewrap)"


class SandboxUnavailable(RuntimeError):
    """The requested isolation cannot be had on this machine; the message says what to do."""


def _base_bwrap_flags() -> list[str]:
    flags = [
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    if os.geteuid() != 0:  # without root, a user namespace maps the student to 'nobody'
        flags += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    return flags


@functools.cache
def bwrap_problem() -> str | None:
    """Why the bubblewrap sandbox cannot be used here, or None when it works (checked once)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"bubblewrap (bwrap) is not installed; {INSTALL_HINT}"
    if _util_linux_problem():
        return _util_linux_problem()
    with tempfile.TemporaryDirectory(prefix="mnist-kit-probe-") as scratch:
        sandbox = Sandbox("bwrap", uids=[PROBE_UID])
        if os.geteuid() == 0:
            os.chown(scratch, PROBE_UID, PROBE_UID)
        command = sandbox.command(Path(scratch), PROBE_UID, ["-c", "import numpy"])
        try:
            probe = subprocess.run(command, capture_output=True, text=True, timeout=60, env=sandbox.environment(Path(scratch), 1))
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap could not start ({error})"
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return f"the bubblewrap sandbox does not work here ({detail})"
    return None


def _util_linux_problem() -> str | None:
    """Every sandbox, even none, starts the student through prlimit; as root, through setpriv too."""
    for tool in ("prlimit", "setpriv") if os.geteuid() == 0 else ("prlimit",):
        if shutil.which(tool) is None:
            return f"{tool} (util-linux) is missing, so students' code cannot be limited; install util-linux"
    return None


def _uids(kind: str) -> Sequence[int]:
    if kind == "none":
        return [os.getuid()]
    try:
        import pwd

        return [pwd.getpwnam(STUDENT_ACCOUNT).pw_uid]
    except (ImportError, KeyError):
        return range(UID_BASE, UID_BASE + UID_POOL_SIZE)


def choose(allow_weaker: bool = False, kind: str | None = None) -> Sandbox:
    """The strongest isolation available, or ``kind`` if asked for.

    Parameters
    ----------
    allow_weaker : bool
        Fall back to ``"user"`` (as root) or ``"none"`` when bubblewrap cannot run, instead of
        raising. The instructor's explicit ``--no-sandbox``; Gradescope's entry point.
    kind : {"bwrap", "user", "none"}, optional
        Force one level (tests use it to exercise the fallbacks).

    Raises
    ------
    SandboxUnavailable
        When bubblewrap cannot run and ``allow_weaker`` is false, or ``kind`` cannot be had.

    Examples
    --------
    >>> sandbox = choose()  # doctest: +SKIP
    >>> sandbox.describe()["kind"]  # doctest: +SKIP
    'bwrap'
    """
    if kind is not None and kind not in KINDS:
        raise SandboxUnavailable(f"unknown sandbox kind {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "bwrap" or (kind is None and not allow_weaker):
        problem = bwrap_problem()
        if problem:
            raise SandboxUnavailable(f"{problem}, or pass --no-sandbox to grade without it (not for untrusted work)")
        kind = "bwrap"
    if kind is None:
        kind = "bwrap" if bwrap_problem() is None else ("user" if user_problem() is None else "none")
    if kind == "user" and user_problem():
        raise SandboxUnavailable(user_problem())
    if _util_linux_problem():
        raise SandboxUnavailable(_util_linux_problem())
    return Sandbox(kind, _uids(kind))


@functools.cache
def user_problem() -> str | None:
    """Why students' code cannot run as an unprivileged user here, or None (checked once)."""
    if os.geteuid() != 0:
        return "the 'user' sandbox switches to an unprivileged user, which needs root"
    if _util_linux_problem():
        return _util_linux_problem()
    uid = PROBE_UID
    try:
        probe = subprocess.run(
            [*_as_user(uid), *student_python(), "-c", "import numpy"],
            cwd="/",
            capture_output=True,
            timeout=60,
            env={"PYTHONPATH": os.pathsep.join(site.getsitepackages())},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"an unprivileged user cannot start {sys.executable} ({error}); install Python outside private folders"
    if probe.returncode != 0:
        return f"an unprivileged user cannot run {sys.executable}; install Python and its packages where every user can read them"
    return None


def student_python() -> list[str]:
    """The interpreter as the kit starts it for the student's code: no ``site``, nothing from where it starts.

    ``-S``: no ``.pth`` files, ``sitecustomize`` or user site. ``-P``: the current folder (the
    student's own, where a previous run of its code may have planted ``mnist_kit/`` or ``numpy.py``)
    is never put first on ``sys.path``, as ``-m`` and ``-c`` would otherwise do; the kit and the
    packages come from ``PYTHONPATH`` alone, read-only places. So the collector, the confinement
    and the SGD witness, and each restart of them, import only the kit's and Python's own code.
    """
    return [sys.executable, "-S", "-P"]


def _readable_for_python(kit: Path) -> list[str]:
    """What the student's Python reads beyond the system's folders: the interpreter's, the packages', the kit's student side."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parent.parent)}
    return sorted({*prefixes, *site.getsitepackages(), str(kit)})


def _confined(workdir: Path, kit: Path, files: bool = True) -> list[str]:
    """The arguments that make the student's Python confine itself to ``workdir`` (or, without ``files``, only off the network)."""
    reads = [f"--read={path}" for path in _readable_for_python(kit)]
    return ["-m", "mnist_kit.confine", "--workdir", str(workdir), *reads, *([] if files else ["--network-only"])]


@dataclass(frozen=True)
class Confinement:
    """What the ``"user"`` sandbox's student process can shut itself out of here (:mod:`mnist_kit.confine`)."""

    network: bool  # the socket filter holds: only Unix sockets
    files: bool  # the Landlock ruleset holds: writes only in its folder, reads only the system's, Python's, the kit's side
    problem: str = ""  # why not both, in one line ("" when both hold)


@functools.cache
def confinement() -> Confinement:
    """Probe once, as the probe user in a scratch folder, what the confined student process gets here.

    Both hold when an internet socket fails, a write to ``/tmp`` fails and a write to its folder
    works; without Landlock, the socket filter alone is probed (an internet socket fails).
    """
    problem = confine.seccomp_problem() or user_problem()
    if problem:
        return Confinement(False, False, problem)
    missing_files = confine.landlock_problem()
    files = missing_files is None
    problem = _probe_confinement(files)
    if problem:
        return Confinement(False, False, problem)
    return Confinement(True, files, "" if files else f"{missing_files}: the network is closed, other files are not")


def confinement_problem() -> str | None:
    """Why the ``"user"`` sandbox cannot fully confine the student's process here, or None (:func:`confinement`)."""
    return confinement().problem or None


def _probe_confinement(files: bool) -> str:
    """Run the confinement as the probe user; "" when it holds, else why not."""
    probe = (
        "import os, socket\n"
        "try:\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nexcept OSError:\n    pass\n"
        "else:\n    raise SystemExit('an internet socket opened')\n"
        + (
            "try:\n    open('/tmp/mnist-kit-confine-probe', 'w')\nexcept OSError:\n    pass\n"
            "else:\n    raise SystemExit('wrote into /tmp')\n"
            if files
            else ""
        )
        + "open('inside', 'w').write('ok')\n"
    )
    with tempfile.TemporaryDirectory(prefix="mnist-kit-confine-") as scratch:
        Path(scratch).chmod(0o711)  # as a grading's folder: the student's user may pass, not list
        folder, kit = Path(scratch) / "work", Path(scratch) / "kit"
        folder.mkdir()
        (kit / PACKAGE.name).mkdir(parents=True)
        for name in ("__init__.py", "confine.py"):  # what the probe runs, readable by its user as the student side is
            shutil.copy(PACKAGE / name, kit / PACKAGE.name / name)
        for path in (kit, kit / PACKAGE.name, *(kit / PACKAGE.name).iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        if os.geteuid() == 0:
            os.chown(folder, PROBE_UID, PROBE_UID)
        command = [*_as_user(PROBE_UID), *student_python(), *_confined(folder, kit, files), "--", "-c", probe]
        try:
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(kit)})
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"the confinement probe could not run ({error})"
        Path("/tmp/mnist-kit-confine-probe").unlink(missing_ok=True)
        if done.returncode != 0 or not (folder / "inside").exists():
            return f"the kernel did not confine the probe ({(done.stderr.strip().splitlines() or ['no message'])[-1]})"
    return ""


def _student_kit() -> Path:
    """A folder holding only the student side of the kit, readable by the student's user."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-kit-student-side-"))
    package = folder / PACKAGE.name
    for relative in manifest.sandbox_files():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PACKAGE / relative, package / relative)
    try:  # one 55 MB file, shared read-only by every submission graded in this process
        os.link(data.EMBEDDED_PATH, package / data.EMBEDDED_PATH.name)
    except OSError:
        shutil.copy(data.EMBEDDED_PATH, package / data.EMBEDDED_PATH.name)
    folder.chmod(0o755)
    for path in package.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    package.chmod(0o755)
    return folder


def _ancestors(path: Path | str) -> list[str]:
    return [str(parent) for parent in reversed(Path(path).parents) if str(parent) != "/"]


class Sandbox:
    """One level of isolation, with a pool of unprivileged users to run submissions as."""

    def __init__(self, kind: str, uids: Sequence[int], kit: Path | None = None) -> None:
        self.kind = kind
        self.uids = tuple(uids)
        self._owner: Sandbox | None = None  # a narrowed sandbox keeps its owner's student-side folder alive
        if kit is None:
            kit = _student_kit()
            weakref.finalize(self, shutil.rmtree, kit, True)
        self.kit = kit

    def only(self, uid: int) -> Sandbox:
        """The same sandbox, lending nothing but ``uid`` (a lease already held)."""
        narrowed = Sandbox(self.kind, [uid], kit=self.kit)
        narrowed._owner = self  # keeps the shared student-side folder alive
        return narrowed

    @property
    def confined(self) -> Confinement:
        """What the student's process shuts itself out of (:mod:`mnist_kit.confine`): only in the ``"user"`` sandbox."""
        return confinement() if self.kind == "user" else Confinement(False, False)

    def describe(self) -> dict[str, Any]:
        """What the student's process gets, recorded in every result."""
        bwrap, confined = self.kind == "bwrap", self.confined
        private_user = self.kind in ("bwrap", "user") and os.geteuid() == 0
        if bwrap:
            writable = "its own folder and a private /tmp"
        else:
            writable = "its own folder only" if confined.files else "its own folder, the host's /tmp and /dev/shm"
        parts = ["seccomp (Unix sockets only)"] * confined.network + ["Landlock (its own folder)"] * confined.files
        return {
            "kind": self.kind,
            "network": not (bwrap or confined.network),
            "pid_namespace": bwrap,
            "user": "unprivileged uid of its own" if private_user else ("nobody (user namespace)" if bwrap else "the grader's"),
            "sees_checker": not (bwrap or confined.files) and _readable_by_others(Path(__file__).with_name("checks.py")),
            "writable": writable,
            "confinement": " and ".join(parts),
        }

    @contextmanager
    def account(self) -> Iterator[int]:
        """Lend a user id for one submission, that no other grading on this machine holds.

        A lock file per user id (in a folder only root can write) makes the lease hold across
        threads and across several graders running at once; it waits while every id is busy.
        """
        if len(self.uids) == 1 or os.geteuid() != 0:
            yield self.uids[0]
            return
        LEASE_DIR.mkdir(mode=0o700, exist_ok=True)
        while True:
            for uid in self.uids:
                handle = open(LEASE_DIR / str(uid), "a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                try:
                    # Nothing of an earlier grading that was killed before it could clean up.
                    kill_all_processes_of({uid})
                    remove_files_of(uid)
                    yield uid
                finally:
                    handle.close()
                return
            time.sleep(0.1)

    def prepare(self, workdir: Path, uid: int) -> None:
        """Give the student's user its working folder (and nothing else)."""
        if self.kind != "bwrap":
            (workdir / ".tmp").mkdir(exist_ok=True)
        if os.geteuid() == 0 and self.kind != "none":
            for path in (workdir, *workdir.glob(".tmp")):
                os.chown(path, uid, uid)
                path.chmod(0o700)
            workdir.parent.chmod(0o711)

    def folder_bytes(self, files: int) -> int:
        """How large the submission's folder must be for ``files`` bytes of its files: without
        bubblewrap its temporary files live there too (a private ``/tmp`` of their own otherwise)."""
        return files + (0 if self.kind == "bwrap" else PRIVATE_TMP_BYTES)

    def environment(self, workdir: Path, threads: int) -> dict[str, str]:
        """The whole environment of the student's process: nothing of the grader's leaks in."""
        inside = self.kind == "bwrap"
        tmp = "/tmp" if inside else str(workdir / ".tmp")
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": INSIDE_WORKDIR if inside else str(workdir),
            "TMPDIR": tmp,
            "JOBLIB_TEMP_FOLDER": tmp,
            "MPLCONFIGDIR": f"{tmp}/matplotlib",
            "MPLBACKEND": "Agg",
            # With "python -S", .pth files are not read: an editable install cannot show the checker.
            "PYTHONPATH": os.pathsep.join([INSIDE_KIT if inside else str(self.kit), *site.getsitepackages()]),
            "PYTHONHASHSEED": "0",
            "PYTHONSAFEPATH": "1",  # as -P (student_python), for any Python the student's code starts too
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        # Each submission graded at once gets its share of the cores for BLAS and OpenMP threads.
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
        # OpenBLAS's idle threads spin ~2^28 cycles before they sleep: with two threads the reference's
        # q4 cost 1.6x the CPU-s of one thread, so the CPU limit's verdict depended on --jobs.
        # 2^4 cycles: the same CPU-s with one thread or two (tests/test_cpu_limits.py), and less wall time.
        env["OPENBLAS_THREAD_TIMEOUT"] = "4"
        # joblib (students' n_jobs=-1) always runs in the student's own process: no worker processes
        # to oversubscribe the machine, and the same behaviour on every machine and entry point (in
        # workers, a student's monkeypatches would hold on one machine and not on another).
        env["LOKY_MAX_CPU_COUNT"] = "1"
        return env

    def command(self, workdir: Path, uid: int, python_args: list[str]) -> list[str]:
        """The command line that runs ``python python_args`` for the student, in ``workdir``."""
        python = [*student_python(), *python_args]
        if self.confined.network:
            return [*student_python(), *_confined(workdir, self.kit, self.confined.files), "--", *python_args]
        if self.kind != "bwrap":
            return python
        flags = _base_bwrap_flags()
        binds = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.executable).resolve().parent.parent]
        made = {"/tmp", "/dev", "/proc", "/usr"}
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(top):
                flags += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                flags += ["--ro-bind", top, top]
        # The private /tmp comes before the binds, so an interpreter that lives under /tmp stays visible.
        flags += [
            "--ro-bind",
            "/usr",
            "/usr",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--perms",
            "1777",
            "--size",
            str(PRIVATE_TMP_BYTES),
            "--tmpfs",
            "/tmp",
            "--perms",
            "1777",
            "--size",
            str(PRIVATE_TMP_BYTES),
            "--tmpfs",
            "/dev/shm",
        ]
        for etc in ("/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf"):
            flags += ["--ro-bind-try", etc, etc]
        mounts = [(path, path) for path in sorted({str(p) for p in binds if not str(p).startswith("/usr/")} - {"/usr"})]
        for source, target in [*mounts, (str(self.kit), INSIDE_KIT)]:
            for parent in _ancestors(target):  # bubblewrap would make them 0700, closed to the student
                if parent not in made:
                    flags += ["--perms", "0755", "--dir", parent]
                    made.add(parent)
            flags += ["--ro-bind", source, target]
        flags += ["--bind", str(workdir), INSIDE_WORKDIR, "--remount-ro", "/", "--chdir", INSIDE_WORKDIR]
        if os.geteuid() == 0:
            flags += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
            python = [*_as_user(uid), *python]
        return ["bwrap", *flags, "--", *python]

    def start(
        self, run: SubmissionRun, python_args: list[str], stderr: IO[bytes] | int, pass_fds: tuple[int, ...] = ()
    ) -> subprocess.Popen:
        """Start the student's process for ``run``; it is the leader of a new session, inside ``run.budget`` if given.

        ``pass_fds`` stay open in it (the SGD witness's record, which the collector hands on before
        any student code runs).

        The limits and the switch of user are util-linux commands the new process executes,
        never Python code run between fork and exec: a grader's other threads may hold locks
        at that moment (a checker's BLAS call did, and a batch froze), and without such code
        ``subprocess`` starts the process with vfork, which runs no fork handlers at all.
        """
        workdir, limits, budget = run.workdir, run.limits, run.budget
        command = self.command(workdir, run.uid, python_args)
        if self.kind == "user":
            command = [*_as_user(run.uid), *command]
        # Where the cgroup holds all of the submission's memory, the address space of one process
        # is only a backstop, so that running out of memory is the kernel's kill the grader sees.
        address_space = limits.max_memory * (2 if budget and budget.memory_enforced else 1)
        return subprocess.Popen(
            [*(budget.prefix() if budget else []), *_limited(limits, address_space), *command],
            cwd=workdir,
            env=self.environment(workdir, limits.threads),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            pass_fds=pass_fds,
        )

    def stop(self, process: subprocess.Popen, uid: int) -> None:
        """Kill the student's process and everything it started, however detached."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        self.kill_leftovers(uid)  # a PID namespace dies with its first process; a plain user does not

    def kill_leftovers(self, uid: int) -> None:
        """Kill every process of ``uid``, whose lease the caller holds (never the grader's own user)."""
        if self.kind != "none" and os.geteuid() == 0:
            kill_all_processes_of({uid})


def enforced_in_words(described: Mapping[str, Any]) -> str:
    """What the sandbox enforced on the student's code, in one line (from :meth:`~mnist_kit.sandbox.Sandbox.describe`).

    Examples
    --------
    >>> enforced_in_words({"kind": "user", "network": False, "writable": "its own folder only", "pid_namespace": False})
    'no network; writes: its own folder only; user: unknown'
    """
    if not described.get("kind"):
        return ""
    parts = ["no network" if described.get("network") is False else "network reachable"]
    parts.append(f"writes: {described.get('writable', 'unknown')}")
    parts.append(f"user: {described.get('user', 'unknown')}")
    if described.get("pid_namespace"):
        parts.append("own process namespace")
    return "; ".join(parts)


def _readable_by_others(path: Path) -> bool:
    path = Path(path).resolve()
    folders_open = all(os.stat(parent).st_mode & 0o001 for parent in path.parents)
    return bool(folders_open and os.stat(path).st_mode & 0o004)


def _limited(limits: Limits, address_space: int) -> list[str]:
    """The prefix that runs a command under ``limits`` (soft and hard alike, so they cannot be raised)."""
    return [
        "prlimit",
        f"--as={address_space}",
        f"--fsize={limits.max_file_size}",
        f"--nproc={limits.max_processes}",
        f"--nofile={limits.max_open_files}",
        "--core=0",
        "--",
    ]


def _as_user(uid: int) -> list[str]:
    """The prefix that runs a command as ``uid``, with that group and no other (needs root)."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def processes_of(uids: AbstractSet[int]) -> list[int]:
    """Process ids whose real, effective or saved user is one of ``uids``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if {int(u) for u in line.split()[1:4]} & uids:
            found.append(int(entry.name))
    return found


def remove_files_of(uid: int, folders: Iterable[Path] | None = None) -> None:
    """Delete what an earlier grading under ``uid`` left in the shared temporary folders.

    Only for a caller that holds ``uid``'s lease: then no live grading uses it, so every grading
    folder whose work folder ``uid`` owns, and every entry of ``folders`` it owns, is a leftover
    (of a grader killed mid-grading, or of a student's writes in the no-namespace fallback), and
    the next student under ``uid`` must not read it. ``folders``: the system's temporary folder
    and ``/dev/shm`` by default.
    """
    for folder in map(Path, folders or (tempfile.gettempdir(), "/dev/shm")):
        for entry in folder.glob(f"{WORK_PREFIX}*") if folder.is_dir() else []:
            if _owner(entry / "work") == uid:
                unmount(entry)  # the tmpfs of a grader killed mid-grading
                shutil.rmtree(entry, ignore_errors=True)
        for entry in folder.iterdir() if folder.is_dir() else []:
            if _owner(entry) == uid:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


def _owner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except OSError:
        return None


def kill_all_processes_of(uids: AbstractSet[int], attempts: int = 200) -> None:
    """SIGKILL every process of ``uids`` until none is left (a fork bomb is outrun, not raced)."""
    uids = set(uids) - {os.getuid()}
    pids = []
    for _ in range(attempts):
        pids = processes_of(uids)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    raise RuntimeError(f"processes of users {sorted(uids)} survive SIGKILL: {pids}")
