"""The two page checks of the MLflow UI check, on a Playwright page (for scripts/check_mlflow_ui.py).

`check_runs_table` opens the experiment's runs table, expands the parent run and checks that the parent
and every nested run are listed; `check_metric_chart` opens the metric page for CHART_KEYS over the nested
runs and checks that its Plotly chart draws, for each run and metric, exactly the store's values. Each
takes a screenshot when it passes. They read the page through small JavaScript expressions; they never
start or stop anything.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflow_ui_store import CHART_KEYS, CheckFailed, Expected

if TYPE_CHECKING:
    from playwright.sync_api import Page

TEXT = "document.body ? document.body.innerText : ''"
CURVES_JS = """JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].flatMap(g => (g.data || [])
  .filter(t => String(t.mode || '').includes('markers') && Array.isArray(t.y))
  .map(t => [String(t.name), t.y.map(v => Math.round(v * 1e6) / 1e6)])))"""


def wait_for(page: Page, expression: str, timeout: float, what: str, errors: list[str]) -> Any:
    """Poll a JS expression until it is truthy and return its value; else fail with `what` (and a page error)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(expression, timeout=timeout * 1000, polling=250).json_value()
    except PlaywrightTimeout:
        raise CheckFailed(
            f"{what} (after {timeout:.0f} s)" + (f"; page error: {errors[-1][:200]}" if errors else "")
        ) from None


def screenshot(page: Page, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    shrink_png(path)


def shrink_png(path: Path, colors: int = 256) -> None:
    """Re-encode a screenshot with an adaptive palette (about 3x smaller) when Pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


def _links(run_ids: list[str]) -> str:
    """JS: the run ids among `run_ids` that have a link whose visible text is non-empty."""
    return (
        f"{json.dumps(run_ids)}.filter(id => [...document.querySelectorAll('a[href$=\"/runs/' + id + '\"]')]"
        ".some(a => a.innerText.trim()))"
    )


def close_assistant(page: Page) -> None:
    """Close the 'MLflow Assistant' side panel if it is open (it only takes room in the screenshots)."""
    page.evaluate(
        "(() => { for (const b of document.querySelectorAll('button[aria-label=\"Close\"]')) {"
        " let p = b; for (let i = 0; i < 3 && p; i++, p = p.parentElement) {"
        " if (p.innerText && p.innerText.includes('MLflow Assistant')) { b.click(); return true; } } }"
        " return false; })()"
    )


def check_runs_table(page: Page, base: str, exp: Expected, shot: Path, timeout: float, errors: list[str]) -> None:
    page.goto(f"{base}/#/experiments/{exp.experiment_id}/runs")
    wait_for(
        page,
        f"{_links([exp.parent_id])}.length && ({TEXT}).includes({json.dumps(exp.parent_name)})"
        f" && ({TEXT}).includes({json.dumps(exp.experiment_name)})",
        timeout,
        f"runs table of experiment {exp.experiment_name!r} does not list parent run {exp.parent_name!r}",
        errors,
    )
    close_assistant(page)
    names = sorted(exp.children)
    ids = [exp.children[n] for n in names]
    if len(page.evaluate(_links(ids))) < len(ids):
        # Nested runs start collapsed under their parent: click the expander in the parent's name cell.
        clicked = page.evaluate(
            f"(() => {{ const a = document.querySelector('a[href$=\"/runs/{exp.parent_id}\"]');"
            " const b = a && a.closest('.ag-cell') && a.closest('.ag-cell').querySelector('button');"
            " if (b) b.click(); return !!b; })()"
        )
        if not clicked:
            raise CheckFailed(f"runs table shows no expander for parent run {exp.parent_name!r}")
    wait_for(
        page,
        f"{_links(ids)}.length === {len(ids)} && {json.dumps(names)}.every(n => ({TEXT}).includes(n))",
        timeout,
        "runs table does not list the nested runs " + ", ".join(names) + f" under {exp.parent_name!r}",
        errors,
    )
    time.sleep(0.5)  # let the table settle before the picture
    screenshot(page, shot)


def check_metric_chart(page: Page, base: str, exp: Expected, shot: Path, timeout: float) -> int:
    """The metric page for CHART_KEYS over the nested runs draws, for each run and key, the store's curve."""
    names = sorted(exp.children)
    run_ids = [exp.children[n] for n in names]
    query = (
        f"runs={json.dumps(run_ids)}&metric={urllib.parse.quote(json.dumps(CHART_KEYS[0]))}"
        f"&experiments={json.dumps([exp.experiment_id])}&plot_metric_keys={urllib.parse.quote(json.dumps(CHART_KEYS))}"
        "&plot_layout={}&x_axis=step&y_axis_scale=linear&line_smoothness=1&show_point=true"
        "&deselected_curves=[]&last_linear_y_axis_range=[]"
    )
    page.goto(f"{base}/#/metric?{query}")
    wanted = [(name, key, exp.curves[name, key]) for name in names for key in CHART_KEYS if exp.curves.get((name, key))]
    if not wanted:
        raise CheckFailed(f"the store has no {' or '.join(CHART_KEYS)} history for the nested runs")

    def missing() -> list[str]:
        drawn = [(n, [round(v, 6) for v in y]) for n, y in json.loads(page.evaluate(CURVES_JS) or "[]")]
        return [f"{n}/{k}" for n, k, ys in wanted if (n, [round(v, 6) for v in ys]) not in drawn]

    deadline, gone = time.monotonic() + timeout, missing()
    while gone and time.monotonic() < deadline:
        time.sleep(0.5)
        gone = missing()
    if gone:
        raise CheckFailed(f"metric chart does not draw the store's curves for {', '.join(gone)} after {timeout:.0f} s")
    text = page.evaluate(TEXT)
    for key in CHART_KEYS:
        if f"({key})" not in text:
            raise CheckFailed(f"metric chart legend lacks {key}")
    close_assistant(page)
    time.sleep(0.5)
    screenshot(page, shot)
    return len(wanted)
