import hashlib
import urllib.error

import numpy as np
import pytest

from mnist_kit import data


def test_embedded_copy_matches_fetch_openml_layout(mnist):
    X, y = mnist
    assert X.shape == (70000, 784) and X.dtype == np.float64
    assert y.shape == (70000,) and y.dtype == object and isinstance(y[0], str)
    assert X.min() == 0 and X.max() == 255
    assert (y[0], y[36001], y[60000]) == ("5", "2", "7")


def test_embedded_copy_matches_the_published_hashes_and_counts(mnist):
    X, y = mnist
    # Reference values from the data's provenance README (hashes of the uint8 arrays).
    assert hashlib.sha256(X.astype(np.uint8).tobytes()).hexdigest() == "5b92582eb909c82a9bfefcd44acbe9233be3eb5b419a44cf211022ad2bf4bf96"
    digits = y.astype(np.int8)
    assert np.bincount(digits[:60000]).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(digits[60000:]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda path: path.unlink(), "cannot be read"),
        (lambda path: path.write_bytes(path.read_bytes()[:-10]), "is damaged"),
        (lambda path: (path.unlink(), path.symlink_to("../mnist_kit/mnist_784.npz")), "unzip mnist-student.zip"),
    ],
    ids=["missing", "truncated", "dangling link after a copy"],
)
def test_damaged_embedded_copy_fails_clearly(tmp_path, monkeypatch, damage, message):
    copy = tmp_path / "mnist_784.npz"
    copy.write_bytes(data.EMBEDDED_PATH.read_bytes())
    damage(copy)
    monkeypatch.setattr(data, "EMBEDDED_PATH", copy)
    with pytest.raises(data.MnistUnavailableError, match=message):
        data.load_mnist()


def test_openml_without_network_names_the_embedded_copy(tmp_path, monkeypatch):
    import sklearn.datasets._openml as openml

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network here")

    monkeypatch.setattr(openml, "urlopen", no_network)
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path))  # an empty cache
    with pytest.raises(data.MnistUnavailableError, match=r"load_mnist\(\) without arguments"):
        data.load_mnist(source="openml")


def test_openml_passes_scikit_learn_arguments(monkeypatch):
    import sklearn.datasets

    seen = {}

    def fake_fetch(name, **kwargs):
        seen.update(kwargs, name=name)
        return type("Bunch", (), {"data": np.zeros((1, 784)), "target": np.array(["1"], dtype=object)})()

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch)
    X, y = data.load_mnist(source="openml")
    assert seen["name"] == "mnist_784" and seen["version"] == 1 and seen["as_frame"] is False
    assert X.shape == (1, 784) and y.tolist() == ["1"]


def test_unknown_source_is_named():
    with pytest.raises(ValueError, match="source must be one of"):
        data.load_mnist(source="kaggle")
