from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = None

@test_case(points=None, hidden=False)
def test_binary_target(y_train, y_train_2):
    assert y_train_2.dtype == bool, f'make_binary_target returned dtype {y_train_2.dtype}: return y == digit, a boolean array'
    assert y_train_2.sum() == (y_train == 2).sum(), 'y_train_2 should be True exactly where y_train is 2'

