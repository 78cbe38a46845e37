from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = None

@test_case(points=None, hidden=False)
def test_split_shapes(X_train, X_test, y_train, y_test):
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784), f'X_train should be 60000 x 784 and X_test 10000 x 784, got {X_train.shape} and {X_test.shape}'
    assert y_train.shape == (60000,) and y_test.shape == (10000,), f'y_train should hold 60000 labels and y_test 10000, got {y_train.shape} and {y_test.shape}'

@test_case(points=None, hidden=False)
def test_split_shuffled_and_paired(np, X, y, X_train, y_train, X_test):
    assert not np.array_equal(X_train[:100], X[:100]), 'X_train is still in the original order: shuffle the training rows'
    assert (X_test == X[60000:]).all(), 'X_test should be the last 10000 rows of X, unshuffled'
    assert y_train[0] == y[np.flatnonzero((X[:60000] == X_train[0]).all(axis=1))[0]], 'X_train and y_train are no longer paired: shuffle both with the same permutation'

