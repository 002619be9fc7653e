"""Experiments: everything that touches the outside world (models, files, MLflow, Optuna storage).

Importing this package turns off telemetry (MLflow, Hugging Face) and litellm's network fetch of its
price map, unless the user set those variables; the offline price-map fetch otherwise makes the MLflow
server hang at startup (README.md, "Comparing runs", explains LITELLM_LOCAL_MODEL_COST_MAP).
"""

import os

for _name, _value in {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY": "False",
}.items():
    os.environ.setdefault(_name, _value)
