"""The budget stop of the loop: the exception an installed budget raises before an LM call.

`experiments.run.budget.BudgetGuard` implements the budget (spent tokens, dollars, minutes) and is
installed as `programs.hooks.RunHooks.budget`. `BudgetExceeded` is systemic: it ends the run cleanly,
never one document, and the caller writes every output before exiting.
"""

from __future__ import annotations


class BudgetExceeded(RuntimeError):
    """A configured budget (dollars, tokens or minutes) is used up."""
