"""Reports of recorded runs: summaries, tables, plots, the dataset card, judge reliability re-grading.

Everything here is computed from the run's files and records (`experiments.records`) with the pure
statistics of `metrics`; nothing here builds a harness or an LM or opens a study (`experiments.run`
and `experiments.study` do). Only `reliability` makes LM calls: it grades recorded answers again with
judge LMs the caller built.
- `summary`, `work_table`: a phase's pass rate, means, usage and cache totals, and the work table;
- `costs`: dollars from token usage and prices (local, unknown never zero);
- `compile_summary`, `compile_print`, `comparison_table`, `comparison_md`, `instructions`: a compile's
  `summary.json`, its printed end and `comparison.md`;
- `evaluation`, `method_table`, `plots`: an evaluation's table, CSV and plots;
- `calibration`: the calibration table; `judgecheck_figures`: a judge check's figures;
- `dataset_card`: accepted examples as a `datasets` folder with a card; `reliability`: judge re-grading.
"""
