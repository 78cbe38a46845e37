from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = None

@test_case(points=None, hidden=False)
def test_q4_public_checks(fit_binary_classifier):
    from mnist_kit.notebook import assert_public_checks_pass
    assert_public_checks_pass('q4', fit_binary_classifier=fit_binary_classifier)

