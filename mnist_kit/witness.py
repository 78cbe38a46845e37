"""SGD solves witnessed by a process the student's code cannot reach.

q6 asks for weights learnt by SGD with the logistic loss. No record kept in the student's process
can show that: the student's code can rewrite anything kept beside it. So, before any student code
runs, the collector starts a *witness*: a child process that makes itself non-dumpable (the same
user can neither trace it nor open its memory or descriptors under ``/proc``) and holds the only
descriptor of a file the grader reads afterwards. The student's process keeps scikit-learn's API,
but its SGD solver (``_plain_sgd``) is replaced by a call that ships the solve's arrays to the
witness, which runs scikit-learn's own solver on them and sends the weights back. For each weight
vector it returns, the witness appends to the grader's file the vector's digest and the loss it
was learnt with, or :data:`CONTINUED` when the solve started from weights no witnessed solve of
that loss produced (``coef_init`` or a warm start from another model's weights): a model counts as
learnt with a loss only along an unbroken chain of that loss's solves from zero weights. Both the
plain and the averaged vector a solve returns are judged by *both* its starts, since either may be
what the model hands back: an averaged solve whose plain vector began from hinge weights does not
make its average (which begins at zero) logistic learning.

What the witness attests is the solver and the loss, not the data: it cannot tell training images
from crafted rows. The grade's own measurements (accuracy on the checker's images) judge the data.

In the notebook (``grader.check``) :func:`in_process` runs the very same :func:`solve` in the
kernel and keeps the record in a dict: the same verdicts, without the protection a grade needs.
"""

import contextlib
import ctypes
import functools
import hashlib
import json
import mmap
import os
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

CONTINUED = "continued"  # learnt from weights no witnessed solve of its loss produced
DIGEST_BYTES = 16
RECORD_BYTES = DIGEST_BYTES + 1  # a digest, then the index of its loss in LOSSES (255: CONTINUED)
MAX_RECORD_READ = 2**20  # the grader reads the last ~61,000 records: a model's rows come last
MAX_HEADER = 2**16
MAX_REMEMBERED = 200_000  # digests the witness keeps to follow chains of solves
# scikit-learn's loss objects, as the solver receives them; parameters are floats.
LOSSES = (
    "CyHalfBinomialLoss",
    "Hinge",
    "SquaredHinge",
    "ModifiedHuber",
    "CyHalfSquaredError",
    "CyHuberLoss",
    "EpsilonInsensitive",
    "SquaredEpsilonInsensitive",
)
_ARGUMENTS = (
    "coef intercept average_coef average_intercept loss penalty_type alpha l1_ratio dataset validation_mask "
    "early_stopping validation_score_cb n_iter_no_change max_iter tol fit_intercept verbose shuffle seed "
    "pos_weight neg_weight learning_rate eta0 power_t one_class t intercept_decay average"
).split()
_NOT_SCALARS = ("coef", "average_coef", "loss", "dataset", "validation_mask", "validation_score_cb")
_SCALARS = [name for name in _ARGUMENTS if name not in _NOT_SCALARS]
_DTYPES = {"<f8", "<f4", "<i4", "<i8", "|u1", "|i1", "|b1"}


def weights_digest(weights: np.ndarray) -> bytes:
    """The digest a witness records for a weight vector (any float dtype; compared as float64)."""
    return hashlib.blake2b(np.ascontiguousarray(weights, dtype=np.float64).tobytes(), digest_size=DIGEST_BYTES).digest()


@functools.cache
def _loss_classes() -> dict[str, type]:
    from sklearn._loss import _loss
    from sklearn.linear_model import _sgd_fast

    return {name: getattr(_sgd_fast, name, None) or getattr(_loss, name) for name in LOSSES}


class Record:
    """What the witness saw: ``{digest: loss name or CONTINUED}``, following chains of solves."""

    def __init__(self, write: Callable[[bytes], object] | None = None) -> None:
        self.learnt: OrderedDict[bytes, str] = OrderedDict()
        self._write = write

    def add(self, starts: tuple, ends: tuple, loss: str) -> None:
        """Record the vectors a solve returned (``ends``) as learnt with ``loss``, or as :data:`CONTINUED`.

        ``starts`` and ``ends`` are the solve's plain and averaged vectors (``None`` where it keeps
        no average). scikit-learn hands back either end, so both are judged by every start: a solve
        learns with its loss only if each vector it began from is zero or was itself learnt with
        that loss. An averaged solve begun from another loss's weights, whose average starts at
        zero, returns an average that is those weights laundered: it is recorded as continued.
        """
        learnt = loss if all(self._learnt_from(start, loss) for start in starts if start is not None) else CONTINUED
        for end in ends:
            if end is not None:
                self._note(weights_digest(end), learnt)

    def _learnt_from(self, start: np.ndarray, loss: str) -> bool:
        return not np.any(start) or self.learnt.get(weights_digest(start)) == loss

    def _note(self, ended: bytes, learnt: str) -> None:
        if learnt == CONTINUED and self.learnt.get(ended, CONTINUED) != CONTINUED:
            return  # weights a loss learnt from zero stay so, whatever solve reproduces them later
        self.learnt[ended] = learnt
        self.learnt.move_to_end(ended)
        if len(self.learnt) > MAX_REMEMBERED:
            self.learnt.popitem(last=False)
        if self._write:
            self._write(ended + bytes([255 if learnt == CONTINUED else LOSSES.index(learnt)]))


def solve(
    arrays: dict[str, np.ndarray],
    scalars: dict[str, Any],
    loss_name: str,
    loss_parameters: list,
    score: Callable[..., float] | None,
    record: Record,
) -> tuple:
    """Run scikit-learn's SGD solver on plain arrays and record what each returned vector was learnt with.

    ``arrays`` holds ``coef``, ``average_coef`` (or none), ``validation_mask`` and the training
    data (``X`` dense, or ``X_data``/``X_indptr``/``X_indices``), ``y`` and ``sample_weight``;
    ``score(coef, intercept)`` is the early-stopping callback (or None). Returns the solver's five values.
    """
    import scipy.sparse as sparse
    from sklearn.linear_model._base import make_dataset
    from sklearn.linear_model._sgd_fast import _plain_sgd32, _plain_sgd64

    loss = _loss_classes()[loss_name](*loss_parameters)
    if "X" in arrays:
        X = arrays["X"]
    else:
        X = sparse.csr_matrix((arrays["X_data"], arrays["X_indices"], arrays["X_indptr"]), shape=tuple(scalars["X_shape"]))
    # The dataset's own seed serves only samplers other than SGD's, which shuffles with ``seed``.
    dataset, _ = make_dataset(X, arrays["y"], arrays["sample_weight"], random_state=0)
    coef = np.array(arrays["coef"])
    average_coef = None if arrays.get("average_coef") is None else np.array(arrays["average_coef"])
    values = {name: scalars[name] for name in _SCALARS}
    values |= dict(coef=coef, average_coef=average_coef, loss=loss, dataset=dataset, validation_mask=arrays["validation_mask"])
    values["validation_score_cb"] = score
    starts = (coef.copy(), None if average_coef is None else average_coef.copy())
    # scikit-learn's own solver, never the replaced one: this runs where the replacement is in force too.
    plain_sgd = _plain_sgd32 if coef.dtype == np.float32 else _plain_sgd64
    result = plain_sgd(*(values[name] for name in _ARGUMENTS))
    record.add(starts, (result[0], None if average_coef is None else result[2]), loss_name)
    return result


def _solved_in_place(arrays: dict[str, np.ndarray], result: tuple) -> tuple:
    """The solver's weights written into the caller's arrays: scikit-learn's own callers rely on it."""
    arrays["coef"][...] = result[0]
    if result[2] is not None and "average_coef" in arrays:
        arrays["average_coef"][...] = result[2]
    return arrays["coef"], result[1], arrays.get("average_coef"), result[3], result[4]


def _solver_call(args: tuple, kwargs: dict[str, Any], datasets: dict[int, Any]) -> tuple | None:
    """The arguments of one ``_plain_sgd`` call as plain data, or None for a call the witness does not take."""
    if kwargs or len(args) != len(_ARGUMENTS):
        return None
    values = dict(zip(_ARGUMENTS, args, strict=True))
    data = datasets.pop(id(values["dataset"]), None)
    loss = values["loss"]
    if data is None or data[0] is not values["dataset"] or type(loss).__name__ not in LOSSES:
        return None
    if type(loss) is not _loss_classes()[type(loss).__name__]:
        return None
    _, X, y, sample_weight = data
    arrays = {"coef": values["coef"], "validation_mask": values["validation_mask"], "y": y, "sample_weight": sample_weight}
    if values["average_coef"] is not None:
        arrays["average_coef"] = values["average_coef"]
    scalars = {name: _plain_scalar(values[name]) for name in _SCALARS}
    if hasattr(X, "indptr"):
        arrays |= {"X_data": X.data, "X_indices": X.indices, "X_indptr": X.indptr}
        scalars["X_shape"] = list(X.shape)
    else:
        arrays["X"] = X
    parameters = [float(p) for p in loss.__reduce__()[1]]
    return arrays, scalars, type(loss).__name__, parameters, values["validation_score_cb"]


def _plain_scalar(value: Any) -> Any:
    value = value.item() if isinstance(value, np.generic) else value
    if not isinstance(value, (bool, int, float)):
        raise TypeError(f"an SGD solver argument of type {type(value).__name__}")
    return value


@contextlib.contextmanager
def _solver_replaced(run: Callable[[tuple], tuple]) -> Iterator[None]:
    """scikit-learn's SGD solves go to ``run(call)`` (calls it cannot take run as before)."""
    from sklearn.linear_model import _stochastic_gradient as sgd

    original_solver, original_dataset, datasets = sgd._get_plain_sgd_function, sgd.make_dataset, {}

    def remembering_make_dataset(X: Any, y: Any, sample_weight: Any, random_state: Any = None) -> tuple:
        dataset, decay = original_dataset(X, y, sample_weight, random_state=random_state)
        datasets[id(dataset)] = (dataset, X, y, sample_weight)
        return dataset, decay

    def witnessed_solver(input_dtype: Any) -> Callable[..., tuple]:
        local = original_solver(input_dtype)

        def plain_sgd(*args: Any, **kwargs: Any) -> tuple:
            call = _solver_call(args, kwargs, datasets)
            return local(*args, **kwargs) if call is None else run(call)

        return plain_sgd

    sgd._get_plain_sgd_function, sgd.make_dataset = witnessed_solver, remembering_make_dataset
    try:
        yield
    finally:
        sgd._get_plain_sgd_function, sgd.make_dataset = original_solver, original_dataset


@contextlib.contextmanager
def in_process() -> Iterator[dict[bytes, str]]:
    """Witness the SGD solves run inside this block in this process (``grader.check``); yields the record's dict."""
    record = Record()

    def run(call: tuple) -> tuple:
        arrays, scalars, loss_name, loss_parameters, score = call
        return _solved_in_place(arrays, solve(arrays, scalars, loss_name, loss_parameters, score, record))

    with _solver_replaced(run):
        yield record.learnt


# The witness process and its client: one request per solve over a socket pair, arrays in a memfd.


def start(record_fd: int) -> None:
    """Fork the witness (before any student code runs) and send this process's SGD solves to it.

    ``record_fd`` is the grader's file; the witness keeps it and this process closes it.
    """
    _loss_classes()  # everything the witness runs is imported before student code can touch a file
    import scipy.sparse  # noqa: F401
    from sklearn.linear_model import _base, _stochastic_gradient  # noqa: F401 - _base: imported before student code

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if os.fork() == 0:
        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no ptrace, no /proc/<pid>/{mem,fd}
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG SIGKILL: it dies with the student's process
        os.setsid()  # out of the student's process group: a student killing its own group kills only itself
        ours.close()
        try:
            _serve(theirs, record_fd)
        finally:
            os._exit(0)
    theirs.close()
    os.close(record_fd)
    global _REPLACED
    client = _Client(ours)
    _REPLACED = _solver_replaced(client.run)  # held, or collecting it would put the solver back
    _REPLACED.__enter__()  # for the rest of the student's process
    classifier = _stochastic_gradient.BaseSGDClassifier
    one_fit = classifier._fit_multiclass

    def fit_multiclass(self: Any, X: Any, *args: Any, **kwargs: Any) -> Any:
        with client.pixels_unchanged():
            return one_fit(self, X, *args, **kwargs)

    classifier._fit_multiclass = fit_multiclass


_REPLACED: contextlib.AbstractContextManager | None = None


class _Client:
    def __init__(self, connection: socket.socket) -> None:
        self.connection, self.lock, self.shared = connection, threading.Lock(), _SharedMemory()

    @contextlib.contextmanager
    def pixels_unchanged(self) -> Iterator[None]:
        """Within one multiclass fit scikit-learn solves every class on the same X: it is copied once."""
        self.shared.reuse = True
        try:
            yield
        finally:
            self.shared.reuse, self.shared.kept = False, None

    def run(self, call: tuple) -> tuple:
        arrays, scalars, loss_name, parameters, score = call
        with self.lock:
            shared = self.shared
            layout, fd = shared.place(arrays)
            header = {"arrays": layout, "scalars": scalars, "loss": loss_name, "parameters": parameters, "scored": score is not None}
            socket.send_fds(self.connection, [json.dumps(header).encode()], [fd])
            while True:
                reply = json.loads(self.connection.recv(MAX_HEADER) or b'{"error": "the witness stopped"}')
                if "error" in reply:
                    raise RuntimeError(f"the grader's SGD witness refused a solve: {reply['error']}")
                if "score" not in reply:
                    break
                self.connection.send(json.dumps({"score": float(score(shared.view("coef").copy(), reply["score"]))}).encode())
            average = shared.view("average_coef") if "average_coef" in arrays else None
            return _solved_in_place(arrays, (shared.view("coef"), reply["intercept"], average, reply["average_intercept"], reply["n_iter"]))


class _SharedMemory:
    """One memfd the solves' arrays are copied into, each at an aligned offset, kept from solve to solve.

    Kept, so that its pages are allocated once and the witness maps it once: a ten-digit fit
    copies its 0.38 GB of pixels ten times into pages already there.
    """

    def __init__(self) -> None:
        self.fd: int | None = None
        self.memory: mmap.mmap | None = None
        self.size = 0
        self.layout: list[list] = []  # [name, dtype, shape, offset] of each array in place
        self.reuse = False
        self.kept: tuple | None = None  # the training rows already in place, while they cannot change

    def place(self, arrays: dict[str, np.ndarray]) -> tuple[list[list], int]:
        """Copy ``arrays`` into the shared memory (growing it if need be); returns their layout and its descriptor."""
        self.layout, offset = [], 0
        arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
        for name, array in arrays.items():
            self.layout.append([name, array.dtype.str, list(array.shape), offset])
            offset += -(-array.nbytes // 64) * 64
        if offset > self.size:
            if self.fd is not None and self.memory is not None:
                self.memory.close()
                os.close(self.fd)
            self.size = max(offset, 2 * self.size, 2**16)
            self.fd = os.memfd_create("mnist-kit-solve")
            os.ftruncate(self.fd, self.size)
            self.memory = mmap.mmap(self.fd, self.size)
            self.kept = None
        for entry, array in zip(self.layout, arrays.values(), strict=True):
            same = (id(array), array.__array_interface__["data"][0], array.shape, array.strides, array.dtype.str, entry[3])
            if entry[0] == "X" and self.reuse and self.kept == same:
                continue
            self.view(entry[0])[...] = array
            if entry[0] == "X":
                self.kept = same
        if self.fd is None:
            raise ValueError("a solve ships at least its coefficients; nothing was placed")
        return self.layout, self.fd

    def view(self, name: str) -> np.ndarray:
        _, dtype, shape, offset = next(entry for entry in self.layout if entry[0] == name)
        return np.ndarray(shape, dtype, buffer=self.memory, offset=offset)


def _serve(connection: socket.socket, record_fd: int) -> None:
    record = Record(write=lambda line: os.write(record_fd, line))
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(connection, MAX_HEADER, 1)
        except OSError:
            return
        if not message:
            return
        try:
            reply = _solve_request(connection, json.loads(message), fds, record)
        except Exception as error:  # noqa: BLE001 - a malformed request is refused; the witness keeps serving
            reply = {"error": f"{type(error).__name__}: {error}"[:300]}
        finally:
            for fd in fds:
                os.close(fd)
        connection.send(json.dumps(reply).encode())


_MAPPED: dict[tuple[int, int, int], mmap.mmap] = {}  # the client's memfd, mapped once: (device, inode, size) -> mapping


def _mapped(fd: int) -> tuple[mmap.mmap, int]:
    status = os.fstat(fd)
    key = (status.st_dev, status.st_ino, status.st_size)
    if key not in _MAPPED:
        _MAPPED.clear()  # a client replaces its memfd only to grow it
        _MAPPED[key] = mmap.mmap(fd, status.st_size)
    return _MAPPED[key], status.st_size


def _solve_request(connection: socket.socket, header: dict[str, Any], fds: list[int], record: Record) -> dict[str, Any]:
    if len(fds) != 1 or header.get("loss") not in LOSSES:
        raise ValueError("a request is one memfd and one of scikit-learn's losses")
    memory, size = _mapped(fds[0])
    arrays = {}
    for name, dtype, shape, offset in header["arrays"]:
        shape = [int(n) for n in shape]
        if dtype not in _DTYPES or int(offset) < 0 or int(offset) + np.dtype(dtype).itemsize * int(np.prod(shape)) > size:
            raise ValueError(f"array {name} does not fit the shared memory")
        arrays[str(name)] = np.ndarray(shape, dtype, buffer=memory, offset=int(offset))
    scalars = {name: _plain_scalar(header["scalars"][name]) for name in _SCALARS}
    if "X_shape" in header["scalars"]:
        scalars["X_shape"] = [int(n) for n in header["scalars"]["X_shape"]]

    def score(coef: np.ndarray, intercept: float) -> float:
        arrays["coef"][...] = coef
        connection.send(json.dumps({"score": float(intercept)}).encode())
        return float(json.loads(connection.recv(MAX_HEADER))["score"])

    parameters = [float(p) for p in header["parameters"]]
    _, intercept, _, average_intercept, n_iter = _solved_in_place(
        arrays, solve(arrays, scalars, header["loss"], parameters, score if header.get("scored") else None, record)
    )
    return {"intercept": float(intercept), "average_intercept": float(average_intercept), "n_iter": int(n_iter)}


def read_record(path: Path, max_bytes: int = MAX_RECORD_READ) -> dict[bytes, str]:
    """The grader's side: ``{digest: loss name or CONTINUED}`` from the last records of the witness's file."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            start = max(0, size - max_bytes)
            file.seek(start - start % RECORD_BYTES if start else 0)
            raw = file.read(max_bytes + RECORD_BYTES)
    except FileNotFoundError:
        return {}
    learnt = {}
    for at in range(0, len(raw) - RECORD_BYTES + 1, RECORD_BYTES):
        code, digest = raw[at + DIGEST_BYTES], raw[at : at + DIGEST_BYTES]
        if code < len(LOSSES) or digest not in learnt:
            learnt[digest] = CONTINUED if code >= len(LOSSES) else LOSSES[code]
    return learnt
