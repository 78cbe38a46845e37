"""One submission's total budget: memory and processes for all its processes together, disk for its folder.

The per-process limits (:func:`mnist_kit.sandbox.Sandbox.start`) do not add up: a student's code
can start many processes, and fill the RAM-backed private ``/tmp`` and ``/dev/shm`` besides. So
the grader, where the machine lets it (root, a writable cgroup tree):

- puts every process of one submission into a memory and a pids cgroup of its own, created
  under the grader's own cgroup: anonymous memory and the tmpfs pages the student's processes
  write are charged there together, and an out-of-memory kill there is how the grader *observes*
  that a submission ran out of memory;
- mounts a tmpfs sized from the budget on the submission's private folder, so the files it
  writes (its working folder, its stderr) have one total, charged to its memory too;
- puts them into a CPU cgroup of their own with the default weight: the scheduler shares the
  cores between the gradings running at once, however many processes or sessions each starts
  (the kernel's autogroups, one per session, apply only outside such a group).

Where it cannot (a container without cgroup or mount rights, or not root), :meth:`Budget.describe`
says what holds instead, and every result records it.
"""

import contextlib
import os
import resource
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Joins the cgroups named before "--", then becomes the command after it: no Python runs in
# between (see Sandbox.start), and a process that cannot join is never started.
_ENTER = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


class Budget:
    """The cgroups and the folder of one grading; use :func:`submission_budget` to make one."""

    def __init__(self, cgroups: list[Path], folder_capped: bool, memory: int, disk: int, problem: str | None) -> None:
        self.cgroups, self.folder_capped, self.memory, self.disk, self.problem = cgroups, folder_capped, memory, disk, problem
        self._oom_kills_at_start = self._oom_kills_seen = self._oom_kills()
        self.cpu_group: Path | None = None  # where the kernel counts the CPU of all the submission's processes
        self.share_group: Path | None = None  # where the scheduler gives them, together, one grading's share of the cores

    def cpu_seconds(self) -> float | None:
        """The CPU time all the submission's processes have used so far, as its cgroup counts it; None where none counts it.

        Every process the student's code starts is charged, reaped or not, and the SGD witness too
        (it runs in the submission's cgroups): the student's share of a grading's cost.
        """
        if self.cpu_group is None:
            return None
        usage = _read(self.cpu_group / "cpuacct.usage").strip()
        if usage:  # cgroup v1: nanoseconds
            return int(usage) / 1e9
        stat = dict(line.split(" ", 1) for line in _read(self.cpu_group / "cpu.stat").splitlines() if " " in line)
        return int(stat["usage_usec"]) / 1e6 if "usage_usec" in stat else None

    def peak_memory(self) -> int | None:
        """The most bytes the submission's memory cgroup ever held, or None where it has none.

        Everything the kernel charges there counts: its processes' memory (the SGD witness's
        too), the files it wrote in its RAM-backed folder, private ``/tmp`` and ``/dev/shm``, and
        its memfds (the witness's arrays travel in one).
        """
        for group in self.cgroups:
            for name in ("memory.max_usage_in_bytes", "memory.peak"):  # cgroup v1, v2
                value = _read(group / name).strip()
                if value.isdigit():
                    return int(value)
        return None

    @property
    def memory_enforced(self) -> bool:
        """Whether the kernel holds all the submission's processes to ``memory`` together."""
        return bool(self.cgroups)  # made together or not at all

    @property
    def cpu_shared(self) -> bool:
        """Whether the scheduler holds all the submission's processes to one grading's share of the cores."""
        return self.share_group is not None

    def all_groups(self) -> list[Path]:
        """Every cgroup of the submission: memory and pids, and those counting and sharing its CPU where they are others."""
        return list(dict.fromkeys([*self.cgroups, *filter(None, [self.cpu_group, self.share_group])]))

    def pids(self) -> set[int] | None:
        """Every process of the submission, as its cgroup lists them; None where it has none."""
        if not self.cgroups:
            return None
        return {int(pid) for pid in _read(self.cgroups[0] / "cgroup.procs").split()}

    def prefix(self) -> list[str]:
        """What to run a command under so that it, and all it starts, is charged to this budget."""
        groups = self.all_groups()
        if not groups:
            return []
        return ["/bin/sh", "-c", _ENTER, "mnist-kit-budget", *(str(group / "cgroup.procs") for group in groups), "--"]

    def ran_out_of_memory(self) -> bool:
        """Whether the kernel killed a process of this submission for its memory since the last call."""
        kills = self._oom_kills()
        ran_out, self._oom_kills_seen = kills > self._oom_kills_seen, kills
        return ran_out

    def killed_for_memory(self) -> bool:
        """Whether the kernel killed any process of this submission for its memory, ever."""
        return self._oom_kills() > self._oom_kills_at_start

    def folder_full(self, folder: Path) -> bool:
        """Whether the submission's capped folder has no room left (never, where it is not capped)."""
        if not self.folder_capped:
            return False
        usage = os.statvfs(folder)
        return usage.f_bavail * usage.f_frsize < 2**20

    def _oom_kills(self) -> int:
        for group in self.cgroups:
            for name in ("memory.oom_control", "memory.events"):
                with contextlib.suppress(OSError):
                    for line in (group / name).read_text().splitlines():
                        if line.startswith("oom_kill "):
                            return int(line.split()[1])
        return 0

    def kill_all(self) -> None:
        """SIGKILL every process in this submission's cgroups until none is left."""
        for _ in range(200):
            pids = {int(pid) for group in self.cgroups for pid in _read(group / "cgroup.procs").split()}
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def describe(self) -> dict[str, Any]:
        """What bounds the submission's processes together, recorded in its result."""
        gib = 2**30
        return {
            "memory_total": f"{self.memory / gib:g} GiB for all its processes and its /tmp"
            if self.cgroups
            else "none (each process is limited, not their sum)",
            "disk_total": f"{self.disk / gib:g} GiB for its folder" if self.folder_capped else "none (each file is limited, not their sum)",
            "cpu_share": "one grading's share of the cores, for all its processes"
            if self.cpu_shared
            else "none (the scheduler weighs its sessions, not the grading)",
            **({"budget_problem": self.problem} if self.problem else {}),
        }


def processes_cpu(root: int, uid: int | None = None) -> float | None:
    """CPU seconds of process ``root``, its living descendants and (unless None) every process of ``uid``; None if none is left.

    Where no cgroup counts a submission's CPU: each process's own time plus what it reaped of its
    children (Linux ``/proc/<pid>/stat``). A process whose parent left the tree and which ended
    before it was seen is not counted; the grader's no-progress backstop still bounds it.
    """
    used = {pid: sum(int(value) for value in fields[11:15]) for pid, fields in _submission_stats(root, uid).items()}
    return sum(used.values()) / os.sysconf("SC_CLK_TCK") if used else None


def submission_processes(root: int, uid: int | None = None) -> set[int]:
    """Process ``root``, its living descendants and (unless None) every process of ``uid``."""
    return set(_submission_stats(root, uid))


def _submission_stats(root: int, uid: int | None) -> dict[int, list[str]]:
    """``/proc/<pid>/stat``'s fields after the command's name, for each process :func:`submission_processes` names."""
    parents: dict[int, int] = {}
    owners: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = Path(entry.path, "stat").read_text()
            fields = text[text.rfind(")") + 2 :].split()  # after the command's name, which may hold spaces
            pid = int(entry.name)
            parents[pid], owners[pid], stats[pid] = int(fields[1]), entry.stat().st_uid, fields
    counted = {pid for pid in stats if pid == root or (uid is not None and owners[pid] == uid)}
    grew = True
    while grew:  # descendants: a child of a counted process is counted
        more = {pid for pid, parent in parents.items() if parent in counted and pid not in counted}
        counted |= more
        grew = bool(more)
    return {pid: stats[pid] for pid in counted}


class RunQueueWait:
    """How long a submission's threads were ready to run but waited for a core: the scheduler's run delay.

    Read from ``/proc/<pid>/task/<tid>/schedstat`` (its second field, nanoseconds spent on a run
    queue), thread by thread, so that a step starved by its neighbours is told from a step that
    sleeps: both use almost no CPU, only the first waits for it. A thread that ended between two
    readings loses what it waited since the first.
    """

    def __init__(self) -> None:
        self._waited: dict[tuple[int, int], int] = {}

    def since_last(self, pids: set[int]) -> float:
        """Seconds the threads of ``pids`` waited for a core since the last call (all of it, for a thread new since)."""
        waited, total = {}, 0
        for pid in pids:
            with contextlib.suppress(OSError):
                for task in os.scandir(f"/proc/{pid}/task"):
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        key = (pid, int(task.name))
                        waited[key] = int(Path(task.path, "schedstat").read_text().split()[1])
                        total += max(0, waited[key] - self._waited.get(key, 0))
        self._waited = waited
        return total / 1e9


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _own_cgroup(controller: str, root: Path | None = None) -> Path | None:
    """The grader's own cgroup folder for ``controller`` (cgroup v1), or the unified one (v2), or None."""
    root = root or CGROUP_ROOT
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") and (root / controller).is_dir():
            return root / controller / path.lstrip("/")
    unified = next((line.split(":", 2)[2] for line in lines if line.startswith("0::")), None)
    if unified is not None and (root / "cgroup.controllers").exists():
        return root / unified.lstrip("/")
    return None


def _make_cgroups(name: str, memory: int, processes: int, root: Path | None = None) -> tuple[list[Path], str | None]:
    """Create the memory and pids cgroups called ``name`` (under ``root``, the cgroup mount); returns (folders, problem)."""
    made = []
    try:
        for controller, settings in (
            ("memory", {"memory.limit_in_bytes": memory, "memory.max": memory, "memory.swap.max": 0}),
            ("pids", {"pids.max": processes}),
        ):
            parent = _own_cgroup(controller, root)
            if parent is None:
                raise OSError(f"no {controller} cgroup here")
            group = parent / name
            if group in made:  # cgroup v2: one folder holds both controllers
                continue
            if (parent / "cgroup.subtree_control").exists():
                (parent / "cgroup.subtree_control").write_text(f"+{controller}")
            group.mkdir()
            made.append(group)
            written = []
            for key, value in settings.items():  # v1 and v2 name the limits differently: set those this kernel has
                if (group / key).exists():
                    (group / key).write_text(str(value))
                    written.append(key)
            if not any(key in written for key in ("memory.limit_in_bytes", "memory.max", "pids.max")):
                raise OSError(f"the {controller} cgroup has no limit to set")
    except OSError as error:
        _remove_cgroups(made)
        return [], f"cgroups: {error.strerror or error}"
    return made, None


def _make_cpu_cgroup(name: str, cgroups: list[Path], root: Path | None = None) -> Path | None:
    """The cgroup that counts the submission's CPU: the unified one it already has (v2), or a cpuacct one (v1); None if neither."""
    unified = next((group for group in cgroups if (group / "cpu.stat").exists()), None)
    if unified is not None:
        return unified
    parent = _own_cgroup("cpuacct", root)
    if parent is None or not (parent / "cpuacct.usage").exists():
        return None
    try:
        (parent / name).mkdir()
    except OSError:
        return None
    return parent / name


def _make_share_cgroup(name: str, cgroups: list[Path], root: Path | None = None) -> Path | None:
    """The cgroup whose weight is the submission's share of the cores (the default weight, as every grading's); None if none can be made.

    cgroup v2: the unified group it already has, once its parent lends it the ``cpu`` controller.
    cgroup v1: a group of the ``cpu`` controller (the accounting one, where the two are mounted together).
    """
    unified = next((group for group in cgroups if (group / "cpu.stat").exists()), None)
    if unified is not None:
        with contextlib.suppress(OSError):
            (unified.parent / "cgroup.subtree_control").write_text("+cpu")
        return unified if (unified / "cpu.weight").exists() else None
    parent = _own_cgroup("cpu", root)
    if parent is None or not (parent / "cpu.shares").exists():
        return None
    try:
        (parent / name).mkdir(exist_ok=True)  # made already where cpu and cpuacct share a mount
    except OSError:
        return None
    return parent / name


STALE_SECONDS = 4 * 3600  # no grading lasts this long; an empty group this old was left by a grader that was killed
REMOVAL_SECONDS = 10.0  # a killed process leaves its cgroup a moment after it dies; one freeing gigabytes, later


def sweep_stale_cgroups(controllers: tuple[str, ...] = ("memory", "pids", "cpuacct", "cpu"), older_than: float = STALE_SECONDS) -> int:
    """Remove the kit's empty cgroups made more than ``older_than`` seconds ago; how many were removed.

    A grader killed mid-grading (SIGKILL, a lost machine) never removes its submission's groups;
    each later grading sweeps what such graders left. A group in use is never empty, and one made a
    moment ago is never old enough, so a neighbour's grading is never touched.
    """
    removed = 0
    for controller in controllers:
        parent = _own_cgroup(controller)
        if parent is None or not parent.is_dir():
            continue
        for group in parent.glob("mnist-kit-*"):
            with contextlib.suppress(OSError):
                if not _read(group / "cgroup.procs").split() and time.time() - group.stat().st_mtime > older_than:
                    group.rmdir()
                    removed += 1
    return removed


def _remove_cgroups(groups: list[Path]) -> None:
    """Remove the submission's cgroups, killing again whatever is still in one, for up to :data:`REMOVAL_SECONDS`.

    An empty cgroup left behind is harmless but never goes away: a suite's run used to leave a few.
    """
    for group in groups:
        deadline = time.monotonic() + REMOVAL_SECONDS
        while True:
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                for pid in _read(group / "cgroup.procs").split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
                time.sleep(0.05)


def _mount_tmpfs(folder: Path, size: int) -> str | None:
    """Mount a tmpfs of ``size`` bytes on ``folder``; the problem, or None when it is mounted."""
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700,nosuid,nodev", "mnist-kit-submission", str(folder)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"tmpfs: {error}"
    return None if done.returncode == 0 else f"tmpfs: {(done.stderr.strip().splitlines() or ['mount failed'])[-1]}"


def unmount(folder: Path) -> None:
    """Unmount a submission's tmpfs (lazily if something still holds it); quiet when none is there."""
    if os.path.ismount(folder):
        subprocess.run(["umount", "--lazy", str(folder)], capture_output=True, timeout=30)


@contextlib.contextmanager
def submission_budget(folder: Path, memory: int, processes: int, disk: int, enforce: bool = True) -> Iterator[Budget]:
    """Give the grading whose private folder is ``folder`` its total budget, for as long as it lasts.

    Parameters
    ----------
    folder : pathlib.Path
        The submission's private, empty folder; a tmpfs of ``disk`` bytes is mounted on it.
    memory, processes, disk : int
        Bytes of memory, processes and threads, and bytes of files, for the whole submission.
    enforce : bool
        False for the instructor's ``--no-sandbox`` runs as a normal user: nothing is attempted.

    Yields
    ------
    Budget
    """
    problems = []
    cgroups: list[Path] = []
    folder_capped = False
    if enforce and os.geteuid() == 0:
        sweep_stale_cgroups()
        cgroups, problem = _make_cgroups(f"mnist-kit-{folder.name}", memory, processes)
        problems.append(problem)
        problem = _mount_tmpfs(folder, disk)
        folder_capped = problem is None
        problems.append(problem)
    elif enforce:
        problems.append("a total budget needs root (cgroups and a mount)")
    budget = Budget(cgroups, folder_capped, memory, disk, "; ".join(filter(None, problems)) or None)
    if cgroups:  # counted and shared where the budget is kept: the same processes, the same moment they join
        budget.cpu_group = _make_cpu_cgroup(f"mnist-kit-{folder.name}", cgroups)
        budget.share_group = _make_share_cgroup(f"mnist-kit-{folder.name}", cgroups)
    try:
        yield budget
    finally:
        budget.kill_all()
        if folder_capped:
            unmount(folder)
        _remove_cgroups(budget.all_groups())


def own_peak_memory() -> int:
    """This process's own resident high-water mark, in bytes: Linux's VmHWM.

    Not ``ru_maxrss``: it survives ``exec``, so a grader started from a large process (a test
    runner) would be charged for the pages it shared with its parent before it became the grader.
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
    except (OSError, StopIteration, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB, and inherited across exec, but something


def reset_own_peak_memory() -> int:
    """Reset :func:`own_peak_memory` to this process's current resident size (Linux), and return it."""
    Path("/proc/self/clear_refs").write_text("5")
    return own_peak_memory()
