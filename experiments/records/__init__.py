"""What a run leaves on disk, and how it is written and read back. No LM calls, no programs run.

- `files`: atomic whole-file writes and the append-only JSON Lines log;
- `rows`: the `rounds.jsonl` row (`RoundRow`), its writer, its reader and `recompute`;
- `resume`: the rows an interrupted run recorded, by key;
- `sink`: `RoundSink`, which records every round the loop finishes (rows, MLflow metrics, budget, progress);
- `progress`: the run's one progress display;
- `labels`: labelled answers for checking a judge, and a judge's verdicts file.
"""
