"""Confine the student's process without namespaces: no internet sockets, no files but its own folder.

The ``"user"`` sandbox (where a container forbids bubblewrap's namespaces, as Gradescope's may)
runs the student's code as an unprivileged user of its own. This module closes what a user alone
leaves open, from inside the student's process and before any of the student's code runs, with
two kernel features an unprivileged process may use once it has set ``no_new_privs`` (which
also keeps setuid programs from regaining privileges):

- a **seccomp** filter that refuses every socket but a Unix one (``socket()`` of any other
  family fails with ``EAFNOSUPPORT``, as systemd's ``RestrictAddressFamilies=AF_UNIX`` does),
  ``io_uring`` (which can open sockets without ``socket()``), and system calls of another ABI
  (32-bit ``int 0x80``, x32), which the filter could not read;
- a **Landlock** ruleset: the whole file system read-only and only where Python, the kit's
  student side and the system's libraries live (``/usr``, ``/etc``, ``/proc``, …), the working
  folder the only place it may write; the host's ``/tmp`` and ``/dev/shm`` (other gradings'
  folders) and everyone's home are out of reach.

Filters and rulesets are inherited by every child and cannot be lifted. The grader probes once
whether the kernel applies both (:func:`available`); where it does, a student process that
cannot apply them stops before running anything (never a weaker sandbox in silence).

Run as ``python -S -P -m mnist_kit.confine --workdir W --read P ... -- -m module args``: it confines
itself, then runs ``module`` as ``__main__`` in the same process.
"""

import argparse
import ctypes
import os
import platform
import runpy
import stat
import struct
import sys
from collections.abc import Sequence

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
EAFNOSUPPORT, EPERM = 97, 1
AF_UNIX = 1
X32_SYSCALL_BIT = 0x40000000
# Per architecture: the audit architecture seccomp reports, and the numbers of seccomp(), socket(),
# io_uring_setup() and the three Landlock calls.
ARCHITECTURES = {
    "x86_64": {"audit": 0xC000003E, "seccomp": 317, "socket": 41, "io_uring_setup": 425, "landlock": (444, 445, 446)},
    "aarch64": {"audit": 0xC00000B7, "seccomp": 277, "socket": 198, "io_uring_setup": 425, "landlock": (444, 445, 446)},
}
# Landlock's file-system rights (ABI 1 to 3): what a read-only path grants, and what the ruleset handles.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
ABI_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1}
READ_ONLY = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | (1 << 14)  # the rights a rule on a single file may hold
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
# What every Python process reads, besides the interpreter's own folders and the kit's student side.
SYSTEM_READABLE = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/sys")
READABLE_DEVICES = ("/dev/zero", "/dev/urandom", "/dev/random", "/dev/full")  # never /dev/shm: other gradings' memory
WRITABLE_DEVICES = ("/dev/null",)
DEVICE_RIGHTS = READ_FILE | WRITE_FILE | (1 << 14)  # truncate too: open(os.devnull, "w") asks for it


class ConfinementError(OSError):
    """The kernel refused a confinement this process was asked to apply."""


def _architecture() -> dict:
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        raise ConfinementError(f"no seccomp filter for the {machine} architecture")
    return ARCHITECTURES[machine]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result < 0:
        raise ConfinementError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")
    return result


def socket_filter(arch: dict) -> bytes:
    """The seccomp program (classic BPF) that refuses non-Unix sockets, io_uring and foreign ABIs."""

    def statement(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    deny_af, deny = SECCOMP_RET_ERRNO | EAFNOSUPPORT, SECCOMP_RET_ERRNO | EPERM
    return b"".join(
        [
            statement(load, 4),  # 0: the architecture
            statement(jeq, arch["audit"], 1, 0),  # 1: native: go on; else refuse
            statement(ret, deny),  # 2
            statement(load, 0),  # 3: the system call's number
            statement(jge, X32_SYSCALL_BIT, 0, 1),  # 4: an x32 call: refuse
            statement(ret, deny),  # 5
            statement(jeq, arch["io_uring_setup"], 0, 1),  # 6
            statement(ret, deny),  # 7
            statement(jeq, arch["socket"], 0, 3),  # 8: not socket(): allow
            statement(load, 16),  # 9: socket()'s family (the low half of its first argument)
            statement(jeq, AF_UNIX, 1, 0),  # 10
            statement(ret, deny_af),  # 11
            statement(ret, SECCOMP_RET_ALLOW),  # 12
        ]
    )


def deny_internet() -> None:
    """Install the socket filter on every thread of this process (and all it will start)."""
    arch, libc = _architecture(), _libc()
    program = socket_filter(arch)
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HxxxxxxQ", len(program) // 8, ctypes.addressof(buffer))
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(libc.syscall(arch["seccomp"], SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, fprog), "seccomp")


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (0 when it has none)."""
    arch, libc = _architecture(), _libc()
    version = libc.syscall(arch["landlock"][0], None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(0, version)


def restrict_files(writable: Sequence[str], readable: Sequence[str]) -> None:
    """Allow this process to write only beneath ``writable`` and read only beneath those and ``readable``.

    Paths that do not exist are left out. Applies to this thread and every process and thread it
    starts afterwards, so it must run before any other thread runs code of the student's.
    """
    arch, libc = _architecture(), _libc()
    abi = landlock_abi()
    if abi < 1:
        raise ConfinementError("the kernel offers no Landlock")
    handled = ABI_RIGHTS[min(abi, 3)]
    create, add, restrict = arch["landlock"]
    ruleset = _check(libc.syscall(create, struct.pack("Q", handled), 8, 0), "landlock_create_ruleset")
    try:
        rules = [(path, handled) for path in writable] + [(path, READ_ONLY) for path in readable]
        rules += [(path, READ_FILE) for path in READABLE_DEVICES] + [(path, DEVICE_RIGHTS) for path in WRITABLE_DEVICES]
        for path, rights in rules:
            try:
                fd = _open_path(path)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FILE_RIGHTS
                _check(libc.syscall(add, ruleset, LANDLOCK_RULE_PATH_BENEATH, struct.pack("=Qi", rights & handled, fd), 0), path)
            finally:
                os.close(fd)
        _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _check(libc.syscall(restrict, ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


def _open_path(path: str) -> int:
    """An ``O_PATH`` descriptor of ``path``; of the working folder itself even where its parents are closed to this user."""
    try:
        return os.open(path, os.O_PATH | os.O_CLOEXEC)
    except PermissionError:
        if os.path.abspath(path) != os.getcwd():
            raise
        return os.open(".", os.O_PATH | os.O_CLOEXEC)


def confine(workdir: str, readable: Sequence[str], files: bool = True) -> None:
    """Apply the socket filter and (with ``files``) the file ruleset, and a umask that keeps the student's files to its own user."""
    os.umask(0o077)
    deny_internet()
    if files:
        restrict_files([workdir], [*SYSTEM_READABLE, *readable])


def seccomp_problem() -> str | None:
    """Why the socket filter cannot be built here (an architecture it has no numbers for), or None."""
    try:
        _architecture()
    except ConfinementError as error:
        return str(error)
    return None


def landlock_problem() -> str | None:
    """Why the file ruleset cannot apply here (no Landlock in the kernel, or a container refusing its calls), or None."""
    try:
        return None if landlock_abi() >= 1 else "the kernel offers no Landlock (Linux 5.13 and later, in its LSM list)"
    except (ConfinementError, AttributeError) as error:
        return str(error)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="the only folder the process may write")
    parser.add_argument("--read", action="append", default=[], help="a folder it may read (repeatable)")
    parser.add_argument("--network-only", action="store_true", help="the socket filter alone, where the kernel has no Landlock")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="-- -m module args (or -c code): what to run once confined")
    args = parser.parse_args(argv)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    if rest[:1] not in (["-m"], ["-c"]) or len(rest) < 2:
        parser.error("give what to run after --, as -- -m module args or -- -c code")
    try:
        confine(args.workdir, args.read, files=not args.network_only)
    except (ConfinementError, OSError) as error:
        print(f"mnist-kit: the sandbox could not confine this process ({error}); nothing was run", file=sys.stderr)
        sys.exit(70)
    sys.argv = [rest[1], *rest[2:]]
    if rest[0] == "-c":
        exec(compile(rest[1], "<confined>", "exec"), {"__name__": "__main__"})
    else:
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
