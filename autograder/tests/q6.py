from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = None

@test_case(points=None, hidden=False)
def test_multiclass_model(SGDClassifier, digit_clf):
    assert isinstance(digit_clf, SGDClassifier), f'fit_multiclass_classifier should return an SGDClassifier, not {type(digit_clf).__name__}'
    assert digit_clf.loss == 'log_loss', f"use loss='log_loss' (logistic regression), not {digit_clf.loss!r}"
    assert list(digit_clf.classes_) == list(range(10)), 'fit on the digit labels 0-9, not on the binary target'

