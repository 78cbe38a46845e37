from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = None

@test_case(points=None, hidden=False)
def test_binary_model(LogisticRegression, load_mnist, fit_binary_classifier):
    X, y = load_mnist()
    clf = fit_binary_classifier(X[:60000:5], y[:60000:5] == '2')
    assert isinstance(clf, LogisticRegression), f'fit_binary_classifier should return a LogisticRegression, not {type(clf).__name__}'
    assert hasattr(clf, 'coef_') and clf.coef_.shape == (1, 784), 'the model is not fitted on 784 pixels: call .fit(X, y_binary) and return the model'
    assert bool(clf.predict(X[36001:36002])[0]), 'trained on every fifth training image, the model should say True for image 36001, a 2: fit on the X and y_binary you are given'

