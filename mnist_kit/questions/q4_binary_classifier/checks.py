"""q4's checks: a logistic regression on 784 pixels and two boolean classes, fitted on every row, good enough."""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, combined, forget_the_trap, hidden, model, model_shapes_ok, predict, public, require
from mnist_kit.questions.q4_binary_classifier import THRESHOLDS

# A fitted LogisticRegression's probabilities score a log loss of 0.077-0.087 on the test images
# (tol from 0.05 to 0.5, C from 0.01 to 1, lbfgs or liblinear); a linear SVM's 0.19, a ridge
# classifier's 0.37, a hinge SGD's 0.78: a model's kind shows in its probabilities.
LOGISTIC_LOG_LOSS = 0.13


def binary_model_type(answers, inputs):
    parameters = model(answers)
    require(parameters["classes_"].dtype == bool and parameters["classes_"].tolist() == [False, True],
            f"The model's classes are {parameters['classes_'].tolist()}; fit it on the boolean target it is given "
            "(classes False and True), so that predict returns booleans.")
    require(model_shapes_ok(parameters, 784, 2), "The model should be fitted on all 784 pixels: its coefficients have another shape.")


def binary_model_is_logistic(answers, inputs):
    parameters = model(answers)
    require(model_shapes_ok(parameters, 784, 2), "The model's coefficients do not fit 784 pixels.")
    scores = np.clip(inputs.data.test_images @ parameters["coef_"].ravel() + parameters["intercept_"][0], -500, 500)
    truth = inputs.data.test_digits == spec.TARGET_DIGIT
    log_loss = float(np.mean(np.logaddexp(0, -scores) * truth + np.logaddexp(0, scores) * ~truth))
    require(log_loss <= LOGISTIC_LOG_LOSS,
            f"The model's probabilities on the test images have a log loss of {log_loss:.2f}; a fitted logistic regression's "
            f"stay under {LOGISTIC_LOG_LOSS}. Fit a LogisticRegression, not another kind of classifier.")


def binary_model_quality(answers, inputs):
    test_images, test_digits = inputs.data.test_images, inputs.data.test_digits
    parameters = model(answers)
    require(model_shapes_ok(parameters, test_images.shape[1], 2), "The model's coefficients do not fit 784 pixels.")
    predicted = predict(parameters, test_images).astype(bool)
    truth = test_digits == spec.TARGET_DIGIT
    accuracy, recall = float(np.mean(predicted == truth)), float(predicted[truth].mean())
    goal_accuracy, goal_recall = THRESHOLDS["binary_accuracy"].value, THRESHOLDS["binary_recall"].value
    require(
        accuracy >= goal_accuracy and recall >= goal_recall,
        f"On the test images the model scores accuracy {accuracy:.3f} and finds {recall:.0%} of the 2s; "
        f"it needs at least {goal_accuracy} and {goal_recall:.0%}. "
        "Fit on the training images it is given, all of them, until the solver converges.",
    )
    return {"binary_accuracy": accuracy, "binary_recall": recall}


def binary_model_showcase(answers, inputs):
    showcase_image = inputs.data.showcase_image
    parameters = model(answers)
    require(
        model_shapes_ok(parameters, showcase_image.shape[0], 2) and bool(predict(parameters, showcase_image[None, :])[0]),
        f"The model should say True for image {spec.SHOWCASE_IMAGE}, the 2 shown at the top of the notebook.",
    )


def binary_model_saw_every_row(answers, inputs):
    parameters = model(answers)
    require(model_shapes_ok(parameters, 784, 2) and parameters["coef_"][0, inputs.data.trap_column] > 0,
            "The model was not fitted on every training row it was given (a pixel only some late rows use has no weight): "
            "fit on all of X and y_binary.")


def binary_fit_leaves_inputs_alone(answers, inputs):
    expected = inputs.data.train_scores(inputs.arrays["input_weights"], 0.0).ravel()
    require(np.array_equal(answer(answers, "X_after_call"), expected)
            and np.array_equal(answer(answers, "y_after_call"), inputs.data.train_digits == spec.TARGET_DIGIT),
            "fit_binary_classifier changed the arrays it was given: work on copies (X / 255, not X /= 255).")


CHECKS = [
    public(binary_model_type, defect=changed("model_classes_", lambda classes: classes.astype(int))),
    hidden(binary_model_is_logistic, defect=changed("model_coef_", lambda coef: coef * 40)),
    hidden(binary_model_quality, defect=changed("model_coef_", np.zeros_like)),
    hidden(binary_model_showcase, defect=combined(changed("model_coef_", np.negative), changed("model_intercept_", np.negative))),
    hidden(binary_model_saw_every_row, defect=forget_the_trap),
    hidden(binary_fit_leaves_inputs_alone, defect=changed("X_after_call", lambda keys: keys / 255)),
]
