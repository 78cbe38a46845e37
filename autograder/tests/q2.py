from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = None

@test_case(points=None, hidden=False)
def test_cast_dtype(np, y_train, y_test):
    assert y_train.dtype == np.int8 and y_test.dtype == np.int8, f'y_train has dtype {y_train.dtype}: labels from OpenML are strings; cast them with astype(np.int8)'
    assert set(np.unique(y_train)) == set(range(10)), 'y_train should hold the digits 0 to 9'

