"""The committed release and autograder are exactly what the build makes, and the zip is reproducible."""

import filecmp
import hashlib
import importlib.metadata
import os
import stat
import zipfile
from pathlib import Path

import pytest

from mnist_kit import build, data, manifest, pins
from mnist_kit.questions import TOTAL_POINTS

ROOT = Path(__file__).resolve().parent.parent


def _tree(folder):
    entries = {}
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(folder))
        if path.is_symlink():
            entries[relative] = ("symlink", os.readlink(path))
        elif path.is_file():
            entries[relative] = ("file", path.read_bytes())
    return entries


@pytest.mark.parametrize("folder", ["assignment", "autograder"])
def test_committed_folder_is_what_the_build_generates(built_kit, folder):
    root, _ = built_kit
    committed, generated = _tree(ROOT / folder), _tree(root / folder)
    assert sorted(committed) == sorted(generated), "run ./dev build and commit the result"
    changed = [name for name in committed if committed[name] != generated[name]]
    assert changed == [], f"{changed} differ from the build's output: run ./dev build and commit the result"


def test_building_twice_gives_the_same_zips_and_leaves_no_temporary_folder(built_kit, tmp_path, monkeypatch):
    import tempfile

    root, report = built_kit
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    again = build.build(root, verify=False)
    assert (again.zip_sha256, again.student_zip_sha256) == (report.zip_sha256, report.student_zip_sha256)
    assert (again.zip_path.name, again.student_zip_path.name) == ("mnist-autograder.zip", "mnist-student.zip")
    assert not list((tmp_path / "tmp").iterdir()), "the build left folders in the temporary folder (Otter Assign's tests?)"


def test_student_zip_is_the_release_with_the_data_itself(built_kit):
    root, report = built_kit
    # Every link of the release (the data, the kit's student side) becomes the bytes it points to.
    release = {
        name: (root / "assignment" / name).read_bytes() for name in _tree(root / "assignment") if (root / "assignment" / name).is_file()
    }
    with zipfile.ZipFile(report.student_zip_path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
        modes = {info.external_attr >> 16 for info in archive.infolist()}
    assert members == {f"mnist/{name}": content for name, content in release.items()}
    assert all(stat.S_ISREG(mode) for mode in modes)  # no links: copying the folder keeps the data
    assert hashlib.sha256(members["mnist/mnist_784.npz"]).hexdigest() == data.EMBEDDED_SHA256


def test_zip_holds_the_entry_point_pins_checker_and_data(built_kit):
    _, report = built_kit
    with zipfile.ZipFile(report.zip_path) as archive:
        names = set(archive.namelist())
        requirements = archive.read("requirements.txt").decode()
        assert {"run_autograder", "setup.sh", "mnist_kit/checks.py", "mnist_kit/mnist_784.npz", "mnist_kit/gradescope.py"} <= names
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    assert requirements == build.pinned_requirements(ROOT, build.GRADING_PACKAGES, closure_of=build.GRADING_PACKAGES)
    for package in ("numpy==", "scikit-learn==", "otter-grader==", "scipy==", "joblib==", "threadpoolctl=="):
        assert package in requirements


def test_the_releases_pin_everything_grading_installs_at_the_locked_versions():
    """scikit-learn's results depend on scipy, joblib and threadpoolctl, which pyproject.toml does not name."""
    locked = pins.locked_versions(ROOT / "requirements.lock")
    for folder, closure_of in (("autograder", build.GRADING_PACKAGES), ("assignment", pins.COMPUTING_PACKAGES)):
        written = dict(line.split("==") for line in (ROOT / folder / "requirements.txt").read_text().split())
        assert set(pins.dependency_closure(closure_of)) <= {pins.canonical(name) for name in written}
        assert all(locked[pins.canonical(name)] == version for name, version in written.items())


@pytest.mark.parametrize("folder", ["autograder", "assignment", "."])
def test_every_pin_installs_on_the_oldest_python_3_11(folder):
    """Gradescope's Ubuntu 22.04 and Debian 12 images ship python3.11 3.11.0 to 3.11.4; soupsieve 3 and 4 ask for 3.11.5.

    Read from each installed distribution's own Requires-Python (the pins are what is installed here).
    """
    from packaging.specifiers import SpecifierSet

    path = ROOT / folder / ("requirements.lock" if folder == "." else "requirements.txt")
    pinned = dict(line.split("==") for line in path.read_text().split() if "==" in line)
    refused = {}
    for name, version in pinned.items():
        installed = importlib.metadata.metadata(name)
        assert installed["Version"] == version, name
        requires = installed.get("Requires-Python") or ""
        if requires and "3.11.0" not in SpecifierSet(requires):
            refused[name] = requires
    assert refused == {}, f"these pins refuse Python 3.11.0: {refused}"


def test_student_requirements_use_the_same_pins_and_no_otter():
    """grader.check and grader.export are the kit's own: students need no otter-grader (nor its Playwright, pandas, Sphinx)."""
    student = set((ROOT / "assignment" / "requirements.txt").read_text().splitlines())
    grading = set(build.pinned_requirements(ROOT, build.GRADING_PACKAGES).splitlines())
    assert {pin for pin in grading if not pin.startswith("otter-grader")} <= student
    assert not [pin for pin in student if pin.startswith("otter")] and any(pin.startswith("jupyter==") for pin in student)


def test_a_missing_lock_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["numpy==2.4.6"]\n')
    with pytest.raises(build.BuildError, match="requirements.lock is missing"):
        build.pinned_requirements(tmp_path, ("numpy",), closure_of=("numpy",))


def test_the_bundle_installs_with_the_uv_the_kit_installs_with():
    dev = (ROOT / "dev").read_text()
    assert f"UV_VERSION={build.UV_VERSION}\n" in dev
    setup = build.bundle_script("setup.sh")
    assert f'"uv=={build.UV_VERSION}"' in setup and "--compile-bytecode -r requirements.txt" in setup


def test_release_data_is_a_link_to_the_single_copy():
    link = ROOT / "assignment" / "mnist_784.npz"
    assert link.is_symlink() and filecmp.cmp(link, ROOT / "mnist_kit" / "mnist_784.npz", shallow=False)


def test_missing_pin_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["numpy>=2"]\n')
    with pytest.raises(build.BuildError, match="no exact pin for numpy"):
        build.pinned_requirements(tmp_path, ("numpy",))


@pytest.mark.slow
def test_build_verifies_reference_full_marks_and_student_zero(built_kit):
    root, _ = built_kit
    reference, student = build.verify_build(root, seeds=(0,))  # the recipe test builds a kit on all three
    assert reference.total == TOTAL_POINTS and reference.status == "graded"
    assert student.total == 0
    for question, entry in student.questions.items():  # every check says why: the stub raised
        assert entry.checks and all("NotImplementedError" in c.message for c in entry.checks), (question, entry)


def test_every_module_of_the_release_imports_from_the_release_alone(tmp_path):
    """grader.check runs from the student release: each of its kit's modules imports with the release alone.

    Run as the sandbox runs Python (``-S``, the packages' folders on the path, no ``.pth`` files):
    the kit's editable install would otherwise supply any module the release lacks.
    """
    import shutil
    import site
    import subprocess
    import sys

    release = tmp_path / "release"
    shutil.copytree(ROOT / "assignment", release)  # links followed, as the zip holds them
    modules = sorted(
        ".".join(path.relative_to(release).with_suffix("").parts).removesuffix(".__init__")
        for path in (release / "mnist_kit").rglob("*.py")
    )
    script = "import importlib, sys; sys.path[:0] = sys.argv[1:3]; [importlib.import_module(m) for m in sys.argv[3:]]"
    done = subprocess.run(
        [sys.executable, "-S", "-c", script, str(release), site.getsitepackages()[0], *modules], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert len(modules) >= len(manifest.RELEASE_MODULES)


def test_a_bundle_script_with_an_unknown_placeholder_is_one_line_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "setup.sh").write_text("#!/usr/bin/env bash\necho @PYTHON_VERSION@\n")
    monkeypatch.setattr(build, "BUNDLE_SCRIPTS", tmp_path)
    with pytest.raises(build.BuildError, match=r"setup.sh has a placeholder the build does not know"):
        build.bundle_script("setup.sh")
