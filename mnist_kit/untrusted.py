"""Read bytes a student controls, as hostile input: every size is bounded before anything is allocated.

The grader runs outside the sandbox (as root on a grading machine) and still has to read what
the student uploaded (a notebook or a zip) and what the student's process wrote (its progress
lines, its answers as JSON and ``.npz``). Each reader here refuses, with a one-line reason the
grader wrote, anything larger, deeper or stranger than a correct submission could produce,
before it costs the grader more than a small multiple of an honest grading's memory and time.
"""

import io
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np


class UntrustedBytes(ValueError):
    """Bytes a student controls are not what they should be; the message says why, in one line."""


MAX_ZIP_MEMBERS = 10_000
# What an answer array may be: booleans, integers, floats, and short text (labels left uncast).
ALLOWED_ARRAY_KINDS = "biuf" + "U"
MAX_TEXT_CHARACTERS = 64
MAX_ARRAY_ELEMENTS = 2**20  # 8.7 x the largest correct answer (q1: 120,734 labels)
MAX_ANSWER_ELEMENTS = 2**22  # all of one question's arrays together (q1's correct answers: 1.1 million)


def read_student_file(workdir: Path, *parts: str, max_bytes: int, offset: int | None = None) -> bytes | None:
    """The bytes of a file the student's process wrote under ``workdir``, or None.

    Never follows a symbolic link (a link to the checker or to another submission reads as
    missing), never blocks on a FIFO, and refuses anything larger than ``max_bytes``. With
    ``offset``, returns at most ``max_bytes`` bytes from there, so a growing file is read in parts.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        folder = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            inner = os.open(part, flags | os.O_DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = inner
        handle = os.open(parts[-1], flags, dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        return None
    with os.fdopen(handle, "rb") as file:
        if offset is not None:
            file.seek(offset)
            return file.read(max_bytes)
        content = file.read(max_bytes + 1)
    return content if len(content) <= max_bytes else None


def read_upload(path: Path, max_bytes: int) -> bytes:
    """The bytes of an uploaded file, refused with :class:`UntrustedBytes` above ``max_bytes``."""
    with open(path, "rb") as file:
        content = file.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UntrustedBytes(f"the file is larger than {_size(max_bytes)}, the most a submission may be")
    return content


def parse_json(raw: bytes, what: str) -> Any:
    """Parse JSON a student controls, refusing text that is not UTF-8 or not JSON, however deeply it nests.

    The parser's own recursion guard stops at Python's recursion limit (about 1,000 levels; a
    notebook nests 8), and that refusal is caught like any other.

    Examples
    --------
    >>> parse_json(b'{"a": [1, 2]}', "the notebook")
    {'a': [1, 2]}
    >>> parse_json(b"[" * 100_000 + b"]" * 100_000, "the notebook")
    Traceback (most recent call last):
    ...
    mnist_kit.untrusted.UntrustedBytes: the notebook is not valid JSON (nested too deep)
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise UntrustedBytes(f"{what} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise UntrustedBytes(f"{what} is not valid JSON (nested too deep)") from None
    except ValueError:
        raise UntrustedBytes(f"{what} is not valid JSON") from None


# Parses a notebook's JSON and says, in a word, what is wrong with it (exit 3), or nothing (exit 0).
_NOTEBOOK_VALIDATOR = r"""
import json, sys
try:
    notebook = json.loads(sys.stdin.buffer.read().decode("utf-8"))
except UnicodeDecodeError:
    print("is not UTF-8 text"); sys.exit(3)
except RecursionError:
    print("is not valid JSON (nested too deep)"); sys.exit(3)
except ValueError:
    print("is not valid JSON"); sys.exit(3)
if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
    print("is JSON but not a Jupyter notebook (it has no list of cells)"); sys.exit(3)
"""
PARSER_MEMORY = 2 * 2**30


def notebook_problem(raw: bytes, what: str = "the file") -> str | None:
    """Why ``raw`` is not a Jupyter notebook's JSON, in one line, or None when it is one.

    The JSON is parsed in a child process limited to :data:`PARSER_MEMORY`: 50 MB of ``[{},{},...]``
    become 1.2 GiB of Python objects, which must never land on the grader (it keeps the bytes only).
    """
    try:
        done = subprocess.run(
            ["prlimit", f"--as={PARSER_MEMORY}", "--", sys.executable, "-S", "-P", "-c", _NOTEBOOK_VALIDATOR],
            input=raw,
            capture_output=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return f"{what} takes too long to parse"
    if done.returncode == 0:
        return None
    if done.returncode == 3:
        return f"{what} {done.stdout.decode().strip()}"
    return f"{what} is too large to parse"


def one_line(text: object, limit: int = 300) -> str:
    """Student-controlled text as one line of at most ``limit`` characters, for a message."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def read_zip_member(raw: bytes, choose: Callable[[dict[str, int]], str], max_bytes: int) -> bytes:
    """The bytes of the one member of a zip that ``choose(sizes)`` picks, decompressed with a cap.

    Parameters
    ----------
    raw : bytes
        The zip.
    choose : callable
        Given each member's name and size as the zip states it (folders left out), returns the one to read.
    max_bytes : int
        The most the member may decompress to; it is streamed, never inflated whole.
    """
    if raw.count(b"PK\x01\x02") > MAX_ZIP_MEMBERS:  # each member has one central-directory header
        raise UntrustedBytes(f"the zip holds more than {MAX_ZIP_MEMBERS:,} files")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = {m.filename: m for m in archive.infolist() if not m.is_dir()}
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UntrustedBytes("the zip file is corrupt") from None
    member = members[choose({name: m.file_size for name, m in members.items()})]
    if member.flag_bits & 0x1:
        raise UntrustedBytes("the zip is password-protected; submit it without a password")
    try:
        with archive.open(member) as stream:
            content = stream.read(max_bytes + 1)
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError) as error:
        raise UntrustedBytes(f"{member.filename} inside the zip cannot be read ({one_line(error, 100)})") from None
    if len(content) > max_bytes:
        raise UntrustedBytes(f"{member.filename} inside the zip is larger than {_size(max_bytes)}, the most a submission may be")
    return content


def load_arrays(raw: bytes, max_elements: int = MAX_ARRAY_ELEMENTS, max_total: int = MAX_ANSWER_ELEMENTS) -> dict[str, np.ndarray]:
    """Arrays from an ``.npz`` a student's process wrote, checked from their headers before they are read.

    Each member's ``.npy`` header is read first: its dtype must be of an allowed kind
    (:data:`ALLOWED_ARRAY_KINDS`, text at most :data:`MAX_TEXT_CHARACTERS` long, never objects),
    and its shape within ``max_elements`` (and all arrays together within ``max_total``); only
    then are exactly that many bytes read from the decompressing stream. Nothing is unpickled.

    Raises
    ------
    UntrustedBytes
        Saying what is wrong with the first array that breaks a rule.
    """
    if raw.count(b"PK\x01\x02") > MAX_ZIP_MEMBERS:
        raise UntrustedBytes("the answers hold more arrays than any question records")
    arrays, total = {}, 0
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        for member in archive.infolist():
            key = member.filename.removesuffix(".npy")
            if not member.filename.endswith(".npy") or not key.replace("_", "").isalnum() or len(key) > 100:
                raise UntrustedBytes("the answers hold a file that is not an array")
            with archive.open(member) as stream:
                array = _read_array(cast(io.BufferedIOBase, stream), key, min(max_elements, max_total - total))  # a ZipExtFile
            total += array.size
            arrays[key] = array
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
        raise UntrustedBytes("the answers' arrays are damaged") from None
    except ValueError as error:
        if isinstance(error, UntrustedBytes):
            raise
        raise UntrustedBytes("the answers' arrays are damaged") from None
    return arrays


# The header numpy writes (format 1.0 or 2.0): a dict literal, keys in this order, padded with spaces.
_NPY_MAGIC = b"\x93NUMPY"
_NPY_HEADER = re.compile(
    r"\{'descr': (?P<descr>'[^']{1,16}'|\[[^\n]{0,2000}\]), 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>(?:[0-9]{1,19}, ?)*[0-9]{0,19})\),? ?\} *\n"
)
_MAX_NPY_HEADER = 4096  # numpy's own writer pads to 64 bytes; its reader allows 10,000


def _read_npy_header(stream: io.BufferedIOBase, key: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from a ``.npy`` header, matched, never evaluated.

    numpy's reader evaluates the header with ``ast.literal_eval``, which on Python 3.11 is not
    safe in threads (CPython gh-106905: a parse in another thread fails with SystemError), and
    the grader reads answers in several threads at once.
    """
    magic = stream.read(8)
    if len(magic) != 8 or magic[:6] != _NPY_MAGIC or magic[6:] not in (b"\x01\x00", b"\x02\x00"):
        raise UntrustedBytes(f"the answer {key} has an unknown array format")
    width = 2 if magic[6] == 1 else 4
    length = int.from_bytes(stream.read(width), "little")
    header = stream.read(length) if length <= _MAX_NPY_HEADER else b""
    found = _NPY_HEADER.fullmatch(header.decode("latin-1")) if len(header) == length else None
    if found is None:
        raise UntrustedBytes(f"the answer {key} has a damaged array header")
    descr = found["descr"].strip("'")
    try:
        dtype = np.dtype(descr)
    except TypeError:
        what = "records" if descr.startswith("[") else descr
        raise UntrustedBytes(f"the answer {key} holds {what}, which no question records") from None
    shape = tuple(int(size) for size in found["shape"].replace(" ", "").split(",") if size)
    return shape, found["fortran"] == "True", dtype


def _read_array(stream: io.BufferedIOBase, key: str, max_elements: int) -> np.ndarray:
    shape, fortran_order, dtype = _read_npy_header(stream, key)
    if dtype.hasobject or dtype.kind not in ALLOWED_ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise UntrustedBytes(f"the answer {key} holds {dtype}, which no question records")
    if dtype.kind == "U" and dtype.itemsize > 4 * MAX_TEXT_CHARACTERS:
        raise UntrustedBytes(f"the answer {key} holds text longer than any label")
    elements = 1
    for length in shape:
        elements *= length
    if elements > max_elements:
        raise UntrustedBytes(f"the answer {key} has {elements:,} elements, more than any correct answer")
    buffer = bytearray(elements * dtype.itemsize)
    if stream.readinto(buffer) != len(buffer):
        raise UntrustedBytes(f"the answer {key} is shorter than its header says")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _size(count: int) -> str:
    return f"{count / 10**6:g} MB"
