from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = None

@test_case(points=None, hidden=False)
def test_q2_public_checks(cast_labels):
    from mnist_kit.notebook import assert_public_checks_pass
    assert_public_checks_pass('q2', cast_labels=cast_labels)

