from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = None

@test_case(points=None, hidden=False)
def test_q1_public_checks(shuffle_split):
    from mnist_kit.notebook import assert_public_checks_pass
    assert_public_checks_pass('q1', shuffle_split=shuffle_split)

