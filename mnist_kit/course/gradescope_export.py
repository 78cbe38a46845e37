"""Gradescope's "Export Submissions" zip, unpacked with bounds so that it can be graded as it is.

The export holds ``assignment_<id>_export/submission_metadata.yml`` and one folder per active
submission, ``submission_<id>/``, with the files the student uploaded (older exports, like the
one under otter-grader's ``test/test-grade/gradescope-export``, list files instead: a key
``odd_filename--s2034.ipynb`` is the submission itself). The metadata maps each folder or file to
its submitters (``:name``, ``:sid``, ``:email``; a group lists several, a ``:sid`` may be empty
or quoted) and its time (``:created_at``); its ``:score``, ``:history`` (earlier submissions'
``:id``, ``:created_at`` and ``:score``) and ``:results`` are Gradescope's, and not read.
Only notebooks and zips inside a folder the metadata lists are unpacked, each at most the upload
limit (a larger one is cut just past it, so that grading names it as too large).
"""

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from .. import untrusted
from . import CourseError
from .config import parse_time

METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 64 * 2**20
SUBMISSION_SUFFIXES = (".ipynb", ".zip")


@dataclass(frozen=True)
class GradescopeExport:
    """An unpacked export: the folder it is in, and each submission folder's submitters and time."""

    folder: Path
    submissions: dict[Path, tuple[tuple[str, ...], dt.datetime | None]]


def is_export(path: Path) -> bool:
    """Whether ``path`` is a Gradescope export zip (it holds a ``submission_metadata.yml``)."""
    path = Path(path)
    if path.suffix != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(PurePosixPath(name).name == METADATA for name in archive.namelist()[: untrusted.MAX_ZIP_MEMBERS])
    except (zipfile.BadZipFile, OSError):
        return False


def unpack(path: Path, into: Path, max_bytes: int) -> GradescopeExport:
    """Unpack the export at ``path`` into the folder ``into`` and read its metadata.

    Raises
    ------
    CourseError
        When the zip or its metadata cannot be read, in one line naming the file.
    """
    path, into = Path(path), Path(into)
    try:
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as error:
        raise CourseError(f"{path}: not a readable zip ({error}); download the export from Gradescope again") from None
    with archive:
        if len(members) > untrusted.MAX_ZIP_MEMBERS:
            raise CourseError(f"{path}: more than {untrusted.MAX_ZIP_MEMBERS:,} files; export fewer submissions at once")
        metadata_member = next(m for m in members if PurePosixPath(m.filename).name == METADATA)
        base = PurePosixPath(metadata_member.filename).parent
        listed = _metadata(path, archive, metadata_member)
        submissions = {}
        for member in members:
            name = PurePosixPath(member.filename)
            inside = name.relative_to(base) if name.is_relative_to(base) else None
            if inside is None or not inside.parts or inside.parts[0] not in listed or name.suffix not in SUBMISSION_SUFFIXES:
                continue
            if any(part in ("", ".", "..") or "\\" in part for part in inside.parts) or "__MACOSX" in inside.parts:
                continue
            target = into.joinpath(*inside.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as stream:
                target.write_bytes(stream.read(max_bytes + 1))
            submissions[into / inside.parts[0]] = listed[inside.parts[0]]
    if not submissions:
        raise CourseError(f"{path}: the export holds no notebook or zip in the submissions its {METADATA} lists")
    return GradescopeExport(into, submissions)


def _metadata(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> dict:
    if member.file_size > MAX_METADATA_BYTES:
        raise CourseError(f"{path}: its {METADATA} is larger than {MAX_METADATA_BYTES // 2**20} MiB")
    try:
        loaded = yaml.safe_load(io.BytesIO(archive.read(member)))
    except yaml.YAMLError as error:
        raise CourseError(f"{path}: its {METADATA} is not valid YAML ({untrusted.one_line(error, 120)})") from None
    if not isinstance(loaded, dict):
        raise CourseError(f"{path}: its {METADATA} does not list submissions; download the export from Gradescope again")
    utc = dt.timezone.utc
    listed = {}
    for folder, entry in loaded.items():
        submitters = entry.get(":submitters") if isinstance(entry, dict) else None
        if not isinstance(submitters, list) or not submitters:
            raise CourseError(f"{path}: {METADATA} lists {folder} without :submitters")
        names = tuple(str(s.get(":sid") or s.get(":email") or "") for s in submitters if isinstance(s, dict))
        created = entry.get(":created_at")
        when = parse_time(created, utc, f"{path}: {METADATA}, {folder} :created_at") if created else None
        listed[str(folder)] = (tuple(n for n in names if n), when)
    return listed
