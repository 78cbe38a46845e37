"""``mnist-kit doctor``: can this machine grade as safely as the kit promises? One line per check.

Every machine that grades (a laptop, a cluster's worker, a Gradescope container) needs the same
things: bubblewrap and the namespaces it creates, a memory and a pids budget per submission
(cgroup v1 or v2, as root), util-linux's ``prlimit``/``setpriv``, the pinned packages and the
data the kit ships. :func:`diagnose` checks each and, where one fails, says why and the exact fix.
A cluster's workers run it before they take any grading (:mod:`mnist_kit.cluster`).
"""

import importlib.metadata
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from . import budget, calibration, data, sandbox, spec

SYSCTL = Path("/proc/sys")
PROC_STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class Finding:
    """One check: its name, whether it passed, and one line saying what was found or what to do."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def bubblewrap(which: Callable[[str], str | None] = shutil.which) -> Finding:
    found = which("bwrap")
    if found is None:
        return Finding("bubblewrap", False, f"not installed; {sandbox.INSTALL_HINT}")
    return Finding("bubblewrap", True, found)


def namespaces(bwrap: str = "bwrap", sysctl: Path = SYSCTL, status: Path = PROC_STATUS) -> Finding:
    """Whether bubblewrap can create the namespaces the sandbox uses (pid, net, ipc, uts, user as needed)."""
    command = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    command += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return Finding("namespaces", False, f"bubblewrap could not start ({error}); {sandbox.INSTALL_HINT}")
    if done.returncode == 0:
        return Finding("namespaces", True, "bubblewrap creates pid, network, ipc and uts namespaces")
    message = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return Finding("namespaces", False, f"bubblewrap failed ({message}); {namespace_fix(sysctl, status)}")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def namespace_fix(sysctl: Path = SYSCTL, status: Path = PROC_STATUS) -> str:
    """The likeliest reason namespaces are refused here, with its fix.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "kernel").mkdir()
    >>> _ = (root / "kernel" / "apparmor_restrict_unprivileged_userns").write_text("1")
    >>> namespace_fix(root, root / "none")[:52]
    'Ubuntu 23.10+ restricts unprivileged user namespaces'
    """
    if _read(sysctl / "kernel" / "apparmor_restrict_unprivileged_userns") == "1" and os.geteuid() != 0:
        return (
            "Ubuntu 23.10+ restricts unprivileged user namespaces (AppArmor): grade as root, or run "
            "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
        )
    if _read(sysctl / "user" / "max_user_namespaces") == "0":
        return "user namespaces are switched off: sudo sysctl -w user.max_user_namespaces=15000"
    if _read(sysctl / "kernel" / "unprivileged_userns_clone") == "0" and os.geteuid() != 0:
        return "unprivileged user namespaces are switched off: sudo sysctl -w kernel.unprivileged_userns_clone=1"
    if re.search(r"^Seccomp:\s*2", _read(status), re.M):
        return (
            "this looks like a container whose seccomp profile forbids namespaces: run it with "
            "--security-opt seccomp=unconfined (Docker) or --privileged, or grade outside it"
        )
    return "see bubblewrap's message above; the kit needs the same namespaces on every machine that grades"


def memory_and_pids(root: Path | None = None) -> Finding:
    """Whether a submission can get a memory and a pids cgroup of its own (cgroup v1 or v2, as root)."""
    if os.geteuid() != 0:
        return Finding("budget", False, "a total memory and pids budget needs root (cgroups); run the grader as root")
    made, problem = budget._make_cgroups(f"mnist-kit-doctor-{os.getpid()}", 2**30, 64, Path(root) if root else None)
    budget._remove_cgroups(made)
    if problem:
        return Finding(
            "budget",
            False,
            f"{problem}; mount cgroup v2 with the memory and pids controllers (a container: --cgroupns=host, or delegate them)",
        )
    return Finding("budget", True, f"memory and pids cgroups under {made[0].parent}")


def util_linux() -> Finding:
    problem = sandbox._util_linux_problem()
    return Finding("util-linux", problem is None, problem or "prlimit and setpriv found")


def pinned_packages(requires: Iterable[str] | None = None) -> Finding:
    """Whether the installed packages grading depends on are the versions the kit pins."""
    bundled = Path(__file__).resolve().parent.parent / "requirements.txt"  # the Gradescope bundle's pins, beside the package
    if requires is None:
        try:
            requires = importlib.metadata.requires("mnist-kit") or []
        except importlib.metadata.PackageNotFoundError:
            if not bundled.is_file():
                return Finding("packages", False, "mnist-kit is not installed, so its pins cannot be checked: pip install -e . in the kit")
            requires = bundled.read_text().split()
    requirements = requires
    pins = {m[1]: m[2] for m in (re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", r) for r in requirements) if m}
    wrong = []
    for name in spec.GRADING_PACKAGES:
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "missing"
        if name in pins and installed != pins[name]:
            wrong.append(f"{name} {installed} (pinned {pins[name]})")
    if wrong:
        return Finding("packages", False, f"{', '.join(wrong)}; reinstall with ./dev or pip install -r requirements.lock")
    return Finding("packages", True, ", ".join(f"{n} {importlib.metadata.version(n)}" for n in spec.GRADING_PACKAGES))


def confinement(namespaces_work: bool) -> Finding:
    """Whether, without namespaces, the student's process can shut itself out of the network and other files (:mod:`mnist_kit.confine`).

    Needed only where bubblewrap cannot create namespaces (the ``user`` fallback, as on Gradescope's
    containers); there, without it, the network and the host's ``/tmp`` stay within reach.
    """
    confined = sandbox.confinement()
    problem = confined.problem
    if not problem:
        return Finding("confinement", True, "without namespaces, seccomp (Unix sockets only) and Landlock (its own folder) apply")
    if namespaces_work:
        return Finding("confinement", True, f"not needed while namespaces work (without them: {problem})")
    reachable = "the host's /tmp" if confined.network else "the network and the host's /tmp"
    return Finding("confinement", False, f"{problem}; the fallback leaves {reachable} reachable: use a kernel with Landlock")


def embedded_data() -> Finding:
    try:
        data.read_embedded()
    except (OSError, ValueError) as error:
        return Finding("data", False, str(error).splitlines()[0])
    return Finding("data", True, f"MNIST SHA-256 {data.EMBEDDED_SHA256[:12]}... as shipped")


def speed() -> Finding:
    """This machine's calibration (measured once and cached), and the CPU limit it gives each question."""
    try:
        measured = calibration.machine_calibration()
    except calibration.CalibrationError as error:
        return Finding("calibration", False, str(error))
    if not measured.reference_units:
        return Finding("calibration", False, f"no reference costs in {calibration.RECORD}: run ./dev build (or reinstall the kit)")
    limits = sandbox.Limits()
    each = ", ".join(f"{q} {measured.cpu_limit(q, limits):.0f}" for q in measured.reference_units)
    return Finding("calibration", True, f"the workload takes {measured.machine_seconds:.3f} CPU-s here; CPU limits: {each} CPU-s")


def diagnose() -> list[Finding]:
    """Every check, in the order a fix should be tried."""
    findings = [bubblewrap()]
    if findings[0].ok:
        findings.append(namespaces(findings[0].detail))
    namespaces_work = len(findings) > 1 and findings[1].ok
    findings += [util_linux(), memory_and_pids(), confinement(namespaces_work), pinned_packages(), embedded_data(), speed()]
    return findings


def grading_is_safe(findings: Iterable[Finding]) -> bool:
    return all(finding.ok for finding in findings)
