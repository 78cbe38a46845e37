from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = None

@test_case(points=None, hidden=False)
def test_multiclass_model(np, SGDClassifier, load_mnist, fit_multiclass_classifier):
    X, y = load_mnist()
    clf = fit_multiclass_classifier(X[:60000:60] / 255.0, y[:60000:60].astype(np.int8))
    assert isinstance(clf, SGDClassifier), f'fit_multiclass_classifier should return an SGDClassifier, not {type(clf).__name__}'
    assert clf.loss == 'log_loss', f"use loss='log_loss' (logistic regression), not {clf.loss!r}"
    assert list(clf.classes_) == list(range(10)), 'fit on the digit labels y (0-9) you are given, not on the binary target'

