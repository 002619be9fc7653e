"""The budget hook of the loop: before every LM call, an installed guard may stop the run.

`experiments.budget.BudgetGuard` implements the guard (spent tokens, dollars, minutes). The loop only
knows this key and this exception; `BudgetExceeded` is systemic: it ends the run cleanly, never one
document, and the caller writes every output before exiting.
"""

from __future__ import annotations

BUDGET_KEY = "autodata_budget"


class BudgetExceeded(RuntimeError):
    """A configured budget (dollars, tokens or minutes) is used up."""
