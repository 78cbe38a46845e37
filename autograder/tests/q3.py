from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = None

@test_case(points=None, hidden=False)
def test_q3_public_checks(make_binary_target):
    from mnist_kit.notebook import assert_public_checks_pass
    assert_public_checks_pass('q3', make_binary_target=make_binary_target)

