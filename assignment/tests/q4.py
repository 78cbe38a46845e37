from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = None

@test_case(points=None, hidden=False)
def test_binary_model(LogisticRegression, X, binary_clf):
    assert isinstance(binary_clf, LogisticRegression), f'fit_binary_classifier should return a LogisticRegression, not {type(binary_clf).__name__}'
    assert hasattr(binary_clf, 'coef_') and binary_clf.coef_.shape == (1, 784), 'the model is not fitted on 784 pixels: call .fit(X, y_binary) and return the model'
    assert bool(binary_clf.predict(X[36001:36002])[0]), 'the model should say True for image 36001, a 2'

