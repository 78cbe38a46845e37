"""q6's checks: ten digits on 784 pixels, weights learnt by SGD with the logistic loss on every row, good enough."""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, close, forget_the_trap, hidden, model, model_shapes_ok, predict, public, require
from mnist_kit.questions.q6_multiclass_classifier import THRESHOLDS

LOGISTIC_SOLVER_LOSS = "CyHalfBinomialLoss"  # scikit-learn's loss object for loss="log_loss"
LOSS_NAMES = {LOGISTIC_SOLVER_LOSS: "log_loss", "Hinge": "hinge", "ModifiedHuber": "modified_huber",
              "SquaredHinge": "squared_hinge", "Log": "log_loss", "Huber": "huber", "SquaredLoss": "squared_error"}


def multiclass_model_type(answers, inputs):
    parameters = model(answers)
    require(parameters["classes_"].tolist() == list(range(10)),
            f"The model knows the classes {parameters['classes_'].tolist()[:12]}; fit it on the digit labels 0-9, not on the binary target.")
    require(model_shapes_ok(parameters, 784, 10), "The model should be fitted on all 784 pixels: its coefficients have another shape.")


def multiclass_model_is_logistic_sgd(answers, inputs):
    parameters = model(answers)
    losses = answer(answers, "solve_losses").tolist()
    require(losses, "The model was not fitted by an SGDClassifier: create SGDClassifier(loss='log_loss') and fit it on X and y.")
    learnt = {}
    for number, loss in enumerate(losses):
        for key in (f"solve{number}_weights", f"solve{number}_averaged"):
            if key in answers["arrays"]:
                learnt.setdefault(answers["arrays"][key].tobytes(), loss)
    for row in np.atleast_2d(parameters["coef_"]):
        loss = learnt.get(row.tobytes())
        require(loss is not None, "The model's weights are not the ones its SGD fit learnt: return the fitted SGDClassifier itself.")
        require(loss == LOGISTIC_SOLVER_LOSS,
                f"The model's weights were learnt with loss={LOSS_NAMES.get(loss, loss)!r}; logistic regression needs "
                "loss='log_loss' when it is fitted (changing the setting afterwards changes nothing).")


def multiclass_model_quality(answers, inputs):
    test_images, test_digits = inputs.data.test_images, inputs.data.test_digits
    parameters = model(answers)
    require(model_shapes_ok(parameters, test_images.shape[1], 10), "The model's coefficients do not fit 784 pixels and ten digits.")
    accuracy = float(np.mean(predict(parameters, test_images / 255.0).astype(int) == test_digits))
    goal = THRESHOLDS["multiclass_accuracy"].value
    require(accuracy >= goal,
            f"On the scaled test images the model is right {accuracy:.3f} of the time; it needs at least "
            f"{goal}. Fit on the scaled pixels it is given, all of them, with loss='log_loss'.")
    return {"multiclass_accuracy": accuracy}


def multiclass_model_saw_every_row(answers, inputs):
    parameters = model(answers)
    require(model_shapes_ok(parameters, 784, 10) and parameters["coef_"][spec.TARGET_DIGIT, inputs.data.trap_column] > 0,
            "The model was not fitted on every training row it was given (a pixel only some late rows use has no weight): "
            "fit on all of X and y.")


def multiclass_fit_leaves_inputs_alone(answers, inputs):
    expected = inputs.data.train_scores(inputs.arrays["input_weights"], 0.0).ravel() / 255.0
    require(close(answer(answers, "X_after_call"), expected, rtol=1e-9, atol=0)
            and np.array_equal(answer(answers, "y_after_call"), inputs.data.train_digits),
            "fit_multiclass_classifier changed the arrays it was given: work on copies, never modify X or y in place.")


CHECKS = [
    public(multiclass_model_type, defect=changed("model_classes_", lambda classes: classes[:2])),
    hidden(multiclass_model_is_logistic_sgd, defect=changed("solve_losses", lambda losses: np.full_like(losses, "Hinge"))),
    hidden(multiclass_model_quality, defect=changed("model_coef_", lambda coef: np.roll(coef, 1, axis=0))),
    hidden(multiclass_model_saw_every_row, defect=forget_the_trap),
    hidden(multiclass_fit_leaves_inputs_alone, defect=changed("y_after_call", lambda digits: (digits + 1) % 10)),
]
