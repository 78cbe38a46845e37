from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = None

@test_case(points=None, hidden=False)
def test_q5_public_checks(accuracy, cross_val_accuracy):
    from mnist_kit.notebook import assert_public_checks_pass
    assert_public_checks_pass('q5', accuracy=accuracy, cross_val_accuracy=cross_val_accuracy)

