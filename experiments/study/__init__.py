"""The Optuna study over rubric structure: where it is stored, how it runs, and one trial of it.

- `storage`: storage URLs and the Optuna storages a compile and its workers open;
- `local`: a compile's own study (seeded first trials, resuming, the best trial), and `TrialFailed`;
- `shared`: a study that several worker processes or machines run (claiming queued trials, heartbeats);
- `trial`: `TrialRunner`, one trial: a structure, a DSPy optimizer run, a validation score;
- `optimizer_usage`: the LM calls an optimizer makes itself, outside the loop's rounds.
"""
