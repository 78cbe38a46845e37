"""q6's public checks: ten digits on 784 pixels, weights learnt by SGD with the logistic loss.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

import numpy as np

from mnist_kit.checks import answer, changed, model, model_shapes_ok, public, require


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


CHECKS = [
    public(multiclass_model_type, defect=changed("model_classes_", lambda classes: classes[:2])),
    public(multiclass_model_is_logistic_sgd, defect=changed("solve_losses", lambda losses: np.full_like(losses, "Hinge"))),
]
