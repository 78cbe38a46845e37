"""The SGD witness: faithful solves, chains of losses, a record the student's process cannot reach."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import SGDClassifier

from mnist_kit import witness

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(0)
X = RNG.normal(size=(600, 20))
Y = RNG.integers(0, 3, size=600)


def _partial_fits(X, y):
    model = SGDClassifier(loss="log_loss", random_state=0)
    for start in range(0, len(y), 100):
        model.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1, 2])
    return model


def _warm_epochs(X, y):
    model = SGDClassifier(loss="log_loss", warm_start=True, max_iter=1, tol=None, random_state=0)
    for _ in range(3):
        model.fit(X, y)
    return model


TRAININGS = {
    "fit": lambda X, y: SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0).fit(X, y),
    "averaged": lambda X, y: SGDClassifier(loss="log_loss", average=True, max_iter=3, tol=None, random_state=0).fit(X, y),
    "early_stopping_n_jobs": lambda X, y: SGDClassifier(loss="log_loss", early_stopping=True, n_jobs=2, random_state=0).fit(X, y),
    "float32": lambda X, y: SGDClassifier(loss="log_loss", max_iter=3, tol=None, random_state=0).fit(X.astype(np.float32), y),
    "sparse": lambda X, y: SGDClassifier(loss="log_loss", max_iter=3, tol=None, random_state=0).fit(scipy.sparse.csr_matrix(X), y),
    "partial_fit": _partial_fits,
    "warm_start": _warm_epochs,
}


def _losses(model, record):
    return {record.get(witness.weights_digest(row), "") for row in model.coef_}


@pytest.mark.parametrize("training", TRAININGS, ids=str)
def test_witnessed_training_learns_what_scikit_learn_learns_and_is_recorded(training):
    plain = TRAININGS[training](X, Y)
    with witness.in_process() as record:
        witnessed = TRAININGS[training](X, Y)
    np.testing.assert_array_equal(witnessed.coef_, plain.coef_)
    np.testing.assert_array_equal(witnessed.intercept_, plain.intercept_)
    assert _losses(witnessed, record) == {"CyHalfBinomialLoss"}


def _hinge(X, y, average=False):
    return SGDClassifier(loss="hinge", average=average, max_iter=3, tol=None, random_state=0).fit(X, y)


def _still(average):
    """A logistic solve that does not move its weights: all a laundering needs of it."""
    return SGDClassifier(loss="log_loss", average=average, learning_rate="constant", eta0=1e-300, max_iter=1, tol=None)


def _launder_through_coef_init(X, y, average):
    hinge = _hinge(X, y)
    return _still(average).fit(X, y, coef_init=hinge.coef_.copy(), intercept_init=hinge.intercept_.copy())


def _launder_through_warm_start(X, y, average):
    hinge, laundered = _hinge(X, y), _still(average).set_params(warm_start=True)
    laundered.fit(X[:30], y[:30])  # gives it the attributes a warm start reads, then hinge weights in them
    laundered.coef_, laundered.intercept_ = hinge.coef_.copy(), hinge.intercept_.copy()
    if average:
        laundered._standard_coef, laundered._standard_intercept = hinge.coef_.copy(), hinge.intercept_.copy()
        laundered._average_coef, laundered._average_intercept = np.zeros_like(hinge.coef_), np.zeros_like(hinge.intercept_)
    return laundered.fit(X, y)


LAUNDERINGS = {
    "coef_init": _launder_through_coef_init,
    "warm_start": _launder_through_warm_start,
}


@pytest.mark.parametrize("average", [False, True], ids=["plain", "averaged"])
@pytest.mark.parametrize("laundering", LAUNDERINGS)
def test_hinge_weights_laundered_through_a_logistic_solve_are_never_learnt_with_it(laundering, average):
    with witness.in_process() as record:
        hinge = _hinge(X, Y)
        laundered = LAUNDERINGS[laundering](X, Y, average)
    np.testing.assert_allclose(laundered.coef_, hinge.coef_, rtol=1e-9, atol=1e-12)  # the hinge weights, as returned
    # Recorded as the hinge's own weights (a plain solve that moved nothing) or as continued: never as logistic learning.
    assert _losses(laundered, record) in ({"Hinge"}, {witness.CONTINUED})


def test_averaged_training_continued_from_its_own_weights_keeps_its_loss():
    with witness.in_process() as record:
        model = SGDClassifier(loss="log_loss", average=True, random_state=0)
        for start in range(0, len(Y), 200):
            model.partial_fit(X[start : start + 200], Y[start : start + 200], classes=[0, 1, 2])
        started = SGDClassifier(loss="log_loss", max_iter=2, tol=None, random_state=0).fit(X, Y)
        continued = SGDClassifier(loss="log_loss", average=True, max_iter=2, tol=None, random_state=0)
        continued.fit(X, Y, coef_init=started.coef_.copy(), intercept_init=started.intercept_.copy())
    assert _losses(model, record) == {"CyHalfBinomialLoss"}
    assert _losses(continued, record) == {"CyHalfBinomialLoss"}


def test_the_grader_reads_the_newest_records_and_keeps_a_loss_over_a_later_continuation(tmp_path):
    digest = witness.weights_digest(np.ones(3))
    path = tmp_path / "record"
    records = [digest + bytes([1]), digest + bytes([255]), os.urandom(witness.RECORD_BYTES), b"torn"]
    path.write_bytes(b"".join(records))
    assert witness.read_record(path)[digest] == "Hinge"
    path.write_bytes(bytes(witness.RECORD_BYTES) * 1000 + digest + bytes([0]))
    assert witness.read_record(path, max_bytes=witness.RECORD_BYTES * 10) == {digest: "CyHalfBinomialLoss", bytes(16): "CyHalfBinomialLoss"}
    assert witness.read_record(tmp_path / "never written") == {}


# Run as an unprivileged user when the suite runs as root (as the sandbox's student is), so that
# root's power to trace anything does not hide a witness left open to its own user.
REACH = textwrap.dedent(
    """
    import os, sys, time, numpy as np
    from sklearn.linear_model import SGDClassifier
    from mnist_kit import witness
    witness.start(int(sys.argv[1]))
    SGDClassifier(loss="log_loss", max_iter=2, tol=None).fit(np.eye(4), [0, 1, 0, 1])
    child = max(int(p) for p in os.listdir("/proc") if p.isdigit() and open(f"/proc/{p}/stat").read().split()[3] == str(os.getpid()))
    reached = []
    for path in (f"/proc/{child}/mem", *(f"/proc/{child}/fd/{n}" for n in range(64))):
        try:
            open(path, "rb").close()
            reached.append(path)
        except OSError:
            pass
    print(child, reached)
    """
)


def test_the_students_process_cannot_reach_the_witness(tmp_path):
    record = tmp_path / "record"
    descriptor = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
    tmp_path.chmod(0o755)
    done = subprocess.run(
        [*user, sys.executable, "-c", REACH, str(descriptor)],
        pass_fds=(descriptor,),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ["PATH"]},
        timeout=60,
    )
    os.close(descriptor)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(maxsplit=1)[1].strip() == "[]", done.stdout
    assert witness.read_record(record)  # the witness wrote what it saw


def test_the_witness_refuses_a_malformed_request_and_keeps_serving(tmp_path):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    descriptor = os.open(tmp_path / "record", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    if os.fork() == 0:
        ours.close()
        try:
            witness._serve(theirs, descriptor)
        finally:
            os._exit(0)
    theirs.close()
    os.close(descriptor)
    for header in (b"not json", b'{"loss": "CyHalfBinomialLoss", "arrays": []}', b'{"loss": "os.system"}'):
        socket.send_fds(ours, [header], [os.memfd_create("empty")])
        assert b"error" in ours.recv(witness.MAX_HEADER)
    ours.close()


REMOTE = textwrap.dedent(
    """
    import os, sys, numpy as np
    from mnist_kit import witness
    from tests.test_witness import TRAININGS, X, Y
    plain = {name: train(X, Y) for name, train in TRAININGS.items()}
    witness.start(os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND))
    for name, train in TRAININGS.items():
        model = train(X, Y)
        assert np.array_equal(model.coef_, plain[name].coef_) and np.array_equal(model.intercept_, plain[name].intercept_), name
    print("same")
    """
)


def test_solves_in_the_witness_process_learn_what_scikit_learn_learns(tmp_path):
    record = tmp_path / "record"
    record.touch()
    done = subprocess.run(
        [sys.executable, "-c", REMOTE, str(record)], capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ}
    )
    assert done.stdout.strip() == "same", done.stderr
    assert set(witness.read_record(record).values()) == {"CyHalfBinomialLoss"}
