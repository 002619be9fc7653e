"""Shared command-line plumbing: common options, config loading, logging, and one-line errors.

Every command builds its parser with `command_parser` and `add_common`, reads its `RunConfig` with
`load_config`, and gets its `main(argv, lms=...)` from `command_main`, which runs it under `run_cli`.
User errors (bad config, unknown preset/optimizer/model, missing files or model packages, permanent LM
failures) print one line `autodata: error: ...` and exit with status 2 (usage) or 1 (run); a traceback
appears only with --debug. Ctrl-C exits 130 after the files written so far are left in place. An option
a command mode does not use is rejected with one line (`reject_unused`), never silently ignored.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import tomllib
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import dspy

from experiments.config import ConfigError, RunConfig
from experiments.lms.embedded import EmbeddedModelError
from experiments.presets import PRESETS, preset
from experiments.run.harness import config_for_harness
from experiments.run.overrides import build_config, merge
from experiments.run.session import RunOptions
from optimizers.registry import UnknownOptimizerError
from programs.errors import FatalLMError


def command_parser(name: str, doc: str) -> argparse.ArgumentParser:
    """A command's parser: `python -m experiments.<name>`, described by its module docstring."""
    head, _, rest = doc.partition("\n\n")
    return argparse.ArgumentParser(
        prog=f"python -m experiments.{name}",
        description=head,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=rest,
    )


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset", default="default", help=f"named settings to start from: {', '.join(PRESETS)} (default: %(default)s)"
    )
    parser.add_argument("--config", type=Path, help="a JSON or TOML file laid over the preset (same keys as --set)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting, e.g. --set loop.max_rounds=6 --set models.weak.model=openai/gpt-4o-mini;"
        " values parse as JSON when they can; repeatable; unknown keys are errors",
    )
    parser.add_argument("--out", type=Path, help="run directory for all outputs (default: runs/<time>-<preset>)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write DSPy's LM cache")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="estimate calls, tokens and cost from the config and documents (an estimate, not a bound); run nothing",
    )
    parser.add_argument("--quiet", action="store_true", help="print only warnings and the final summary")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")


def load_config(args: argparse.Namespace) -> RunConfig:
    """The preset, the --config file laid over it, then every --set."""
    data = preset(args.preset)
    if args.config:
        data = merge(data, config_file(args.config))
    return build_config(data, args.overrides)


def config_file(path: Path) -> dict[str, Any]:
    """The settings of a --config file (JSON or TOML); ConfigError (one line) when it cannot be read."""
    if not path.exists():
        raise ConfigError(f"--config {path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
        loaded = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--config {path}: cannot parse ({str(exc).splitlines()[0]})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"--config {path}: the top level must be a table/object")
    return loaded


def default_out(out: Path | None, label: str) -> Path:
    """--out, or runs/<time>-<label>."""
    return out or Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{label}"


def reject_unused(args: argparse.Namespace, parser: argparse.ArgumentParser, flags: Iterable[str], why: str) -> None:
    """ConfigError (one line) when any of these options was given: this mode does not use it (`why`)."""
    for flag in flags:
        dest = "overrides" if flag == "--set" else flag.lstrip("-").replace("-", "_")
        if getattr(args, dest) != parser.get_default(dest):
            raise ConfigError(f"{flag} does not apply here: {why}")


def harness_run_config(args: argparse.Namespace) -> RunConfig:
    """The run config of `generate` and `shard` (--harness on --docs, `run.harness.config_for_harness`):
    only what the user set explicitly (a --config file, --set) overrides the harness's models."""
    if not args.harness.exists():
        raise ConfigError(f"--harness {args.harness}: no such directory")
    explicit = config_file(args.config) if args.config else {}
    return config_for_harness(args.harness, args.docs, load_config(args), explicit, args.overrides)


def setup_logging(debug: bool, quiet: bool) -> None:
    # MLflow configures its own logger when imported (INFO, its own handler): only its warnings, unless --debug.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "DEBUG" if debug else "WARNING")
    level = logging.DEBUG if debug else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    for noisy in (
        "LiteLLM",
        "litellm",
        "httpx",
        "urllib3",
        "mlflow",
        "alembic",
        "optuna",
        "dspy",
        "gepa",
        "datasets",
        "huggingface_hub",
        "filelock",
    ):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    if not debug:
        warnings.filterwarnings("ignore")


USER_ERRORS = (ConfigError, FatalLMError, UnknownOptimizerError, FileNotFoundError, EmbeddedModelError)


def run_cli(
    main: Callable[[argparse.Namespace], int], parser: argparse.ArgumentParser, argv: list[str] | None = None
) -> int:
    args = parser.parse_args(argv)
    setup_logging(args.debug, args.quiet)
    try:
        return main(args)
    except KeyboardInterrupt:
        print(
            "autodata: interrupted; files written so far are kept (rerun with the same --out to resume)",
            file=sys.stderr,
        )
        return 130
    except USER_ERRORS as exc:
        if args.debug:
            raise
        print(f"autodata: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1


class Main(Protocol):
    def __call__(self, argv: list[str] | None = None, *, lms: dict[str, dspy.LM] | None = None) -> int: ...


def command_main(
    run: Callable[[argparse.Namespace, RunOptions], int], parser: Callable[[], argparse.ArgumentParser]
) -> Main:
    """A command's `main(argv, lms=...)`: `argv` parsed by `parser()`, then `run(args, options)` under
    `run_cli`. `options` are the `RunOptions` of the common flags (--no-cache, --quiet); `lms` (one per
    role) replaces the configured models (tests)."""

    def main(argv: list[str] | None = None, *, lms: dict[str, dspy.LM] | None = None) -> int:
        return run_cli(
            lambda args: run(args, {"lms": lms, "use_cache": not args.no_cache, "quiet": args.quiet}), parser(), argv
        )

    return main
