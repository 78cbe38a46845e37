import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # lets tests import tests.submissions


@pytest.fixture(scope="session")
def mnist():
    from mnist_kit.data import load_mnist

    return load_mnist()
