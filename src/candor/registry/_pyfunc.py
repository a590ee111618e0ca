"""A registered candor model as an MLflow pyfunc, so ``mlflow.pyfunc.load_model("models:/...")``,
``mlflow models serve`` and MLflow's evaluation read it too.

Logged as a model from code (the small entry file in ``_package.ENTRY``), not a pickled object:
loading it runs candor's own safe loader, which checks every file against the model folder's
``CHECKSUMS`` first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from candor.registry._loaded import LoadedModel
from candor.registry._package import verify_checksums


class CandorPyfunc(PythonModel):
    """``predict`` gives labels (or values); ``params={"proba": True}`` gives a DataFrame of class
    probabilities, one column per label."""

    def load_context(self, context: Any) -> None:
        folder = Path(context.artifacts["candor"])
        root = folder.parents[1]  # <model>/artifacts/candor
        verify_checksums(root, None, f"the model at {root}")
        self._model = LoadedModel.from_folder(folder)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> Any:
        model = self._model
        if params and params.get("proba"):
            if model.task == "regression":
                raise ValueError("a regression model has no class probabilities")
            return pd.DataFrame(
                model.predict_proba(model_input), columns=[str(c) for c in model.classes]
            )
        return pd.Series(model.predict(model_input), name="prediction")
