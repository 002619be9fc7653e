"""Run wiring: everything between a command line and the harness's LM work.

- `cli`: common options, config loading, logging and one-line errors for every command;
- `overrides`: `--set` overrides, merging settings dicts, validation into a `RunConfig`;
- `build`: config -> programs (the harness, the judge), role limits, DSPy settings, the metric record;
- `methods`: the programs `evaluate` compares, by method name;
- `harness`: exporting a compiled harness as JSON and loading it back;
- `phase`: running a harness over documents as one recorded phase;
- `budget`: the budget guard; `dryrun`: the estimate `--dry-run` prints.
"""
