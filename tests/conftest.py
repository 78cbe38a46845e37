import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # lets tests import tests.submissions


@pytest.fixture(scope="session")
def mnist():
    from mnist_kit.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def built_kit(tmp_path_factory):
    """A copy of the kit's sources, built from scratch: its assignment/, autograder/ and dist/ zip."""
    import shutil

    from mnist_kit.build import build

    root = tmp_path_factory.mktemp("kit")
    for name in ("solution", "mnist_kit", "pyproject.toml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    report = build(root, verify=False)
    return root, report


@pytest.fixture(scope="session")
def bundle(built_kit, tmp_path_factory):
    """The Gradescope zip, unzipped as Gradescope does into ``source/``."""
    import zipfile

    source = tmp_path_factory.mktemp("bundle") / "source"
    with zipfile.ZipFile(built_kit[1].zip_path) as archive:
        archive.extractall(source)
    return source
