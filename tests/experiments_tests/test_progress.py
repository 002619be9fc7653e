"""One progress display: a status line on a terminal, plain lines elsewhere, library bars silenced."""

from __future__ import annotations

import io
import logging

import dspy

from experiments.compile import compile_run
from experiments.records.progress import Progress, library_bars_off
from experiments.run.overrides import build_config
from testkit.world import World
from tests.experiments_tests.test_compile_scripted import scripted_lms
from tests.support.workers import SETTINGS, write_docs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_status_line_with_notes_and_log_records_above_it():
    screen = Terminal()
    progress = Progress(stream=screen)
    handler = logging.StreamHandler(screen)
    logging.getLogger().addHandler(handler)
    try:
        with progress.display():
            progress.start_phase("baseline", 2)
            progress.round_done("d1", "round 1: too_easy, weak 1.00", False, 120)
            progress.doc_done()
            logging.getLogger("autodata.test").warning("a warning in the middle of the run")
            progress.round_done("d2", "round 1: accepted", True, 80)
    finally:
        logging.getLogger().removeHandler(handler)
    text = screen.getvalue()
    shown = rendered(text)
    assert shown[0] == "== baseline: 2 document(s)"
    assert shown[1] == "a warning in the middle of the run"  # on its own line, not glued to the status
    assert shown[2] == ""  # the status line is wiped when the run ends
    last_status = text.rsplit("\r\033[K", 2)[-2]
    assert last_status.startswith("[baseline] docs 1/2, rounds 2, accepted 1, tokens 200, ") and "ETA" in last_status


def rendered(text: str) -> list[str]:
    """What a terminal shows: on each line, only what was written after the last carriage return + clear."""
    return [line.rsplit("\r\033[K", 1)[-1] for line in text.split("\n")]


def test_elsewhere_plain_lines_without_control_characters():
    log = io.StringIO()
    progress = Progress(stream=log)
    with progress.display():
        progress.start_phase("final trial 3", 1)
        progress.round_done("d1", "round 1: accepted", True, 10)
        progress.doc_done()
    assert log.getvalue().splitlines() == ["== final trial 3: 1 document(s)", "[final trial 3] d1 round 1: accepted"]
    assert "\r" not in log.getvalue() and "\033" not in log.getvalue()


def test_library_bars_are_off_inside_the_block_and_back_after():
    import tqdm

    out = io.StringIO()
    with library_bars_off():
        for _ in tqdm.tqdm(range(3), file=out, disable=False):
            pass
    assert out.getvalue() == ""
    for _ in tqdm.tqdm(range(3), file=out, disable=False):
        pass
    assert "3/3" in out.getvalue()


def test_a_compile_prints_no_library_progress_bars(in_tmp, capfd):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    docs = write_docs(in_tmp / "docs")
    cfg = build_config({}, [f"corpus.source={docs}", *SETTINGS, "search.n_trials=1", "tracking.enabled=false"])
    screen = Terminal()
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    compile_run(cfg, in_tmp / "run", lms=scripted_lms(world), use_cache=False, progress=Progress(stream=screen))
    captured = capfd.readouterr()
    for stream in (captured.out, captured.err, screen.getvalue()):  # tqdm's bars: "75%|███  | 3/4 [...]"
        assert "%|" not in stream and "it/s]" not in stream and "rollouts/s]" not in stream, stream[-1500:]
    shown = screen.getvalue()
    assert "[optimize trial 0]" in shown and "[select trial 0]" in shown and "[final trial 0]" in shown
