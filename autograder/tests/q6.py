from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = None

@test_case(points=None, hidden=False)
def test_q6_public_checks(fit_multiclass_classifier):
    from mnist_kit.notebook import assert_public_checks_pass
    assert_public_checks_pass('q6', fit_multiclass_classifier=fit_multiclass_classifier)

