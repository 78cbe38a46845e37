from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = None

@test_case(points=None, hidden=False)
def test_scores(np, accuracy, binary_clf, X_test, y_test_2, fold_accuracies):
    score = accuracy(binary_clf, X_test, y_test_2)
    assert 0 <= score <= 1, f'accuracy returned {score}: return a fraction between 0 and 1, not a percentage'
    assert np.shape(fold_accuracies) == (5,), f'cross_val_accuracy(..., cv=5) should return 5 fold accuracies, got shape {np.shape(fold_accuracies)}'

