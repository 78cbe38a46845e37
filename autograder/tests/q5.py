from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = None

@test_case(points=None, hidden=False)
def test_scores(np, LogisticRegression, load_mnist, accuracy, cross_val_accuracy):
    X, y = load_mnist()
    X_small, y_small = (X[:3000] / 255.0, y[:3000] == '2')
    X_check, y_check = (X[60000:61000] / 255.0, y[60000:61000] == '2')
    clf = LogisticRegression(tol=0.1, max_iter=1000).fit(X_small, y_small)
    score = accuracy(clf, X_check, y_check)
    assert 0 <= score <= 1, f'accuracy returned {score}: return a fraction between 0 and 1, not a percentage'
    expected = np.mean(clf.predict(X_check) == y_check)
    assert np.isclose(score, expected), f'accuracy returned {score:.4f} but the model labels {expected:.4f} of these images correctly: compare clf.predict(X) with y on the X and y you are given'
    folds = cross_val_accuracy(LogisticRegression(tol=0.1, max_iter=1000), X_small, y_small, cv=5)
    assert np.shape(folds) == (5,), f'cross_val_accuracy(..., cv=5) should return 5 fold accuracies, got shape {np.shape(folds)}'
    assert np.all((0 <= np.asarray(folds)) & (np.asarray(folds) <= 1)), 'each fold accuracy should be a fraction between 0 and 1'

