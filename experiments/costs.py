"""Dollar cost of recorded token usage, per role, from DSPy's bundled price table or the user's prices.

A role's price comes from `models.<role>.usd_per_mtok_in/out` when set (self-hosted or negotiated
prices; 0 is a valid price), otherwise from DSPy's bundled snapshot of LiteLLM's price map for hosted
model strings such as `openai/gpt-4o-mini`. Embedded and unknown served models have no price: their cost
is reported as unknown (None), never as zero, and a total that includes an unknown role is unknown too.
"""

from __future__ import annotations

from typing import Any

from experiments.config import ROLES, RunConfig

Price = tuple[float, float]  # USD per prompt token, per completion token


def role_price(cfg: RunConfig, role: str) -> Price | None:
    spec = getattr(cfg.models, role)
    if spec.usd_per_mtok_in is not None and spec.usd_per_mtok_out is not None:
        return spec.usd_per_mtok_in / 1e6, spec.usd_per_mtok_out / 1e6
    if spec.model.startswith(("embedded/", "llamacpp/")) or "/" not in spec.model:
        return None
    from dspy.clients.model_metadata import model_info, rate

    provider, name = spec.model.split("/", 1)
    try:
        info = model_info(provider, name)
    except Exception:
        return None
    cost_in, cost_out = rate(info, "input_cost_per_token"), rate(info, "output_cost_per_token")
    return (cost_in, cost_out) if cost_in is not None and cost_out is not None else None


def prices(cfg: RunConfig) -> dict[str, Price | None]:
    return {role: role_price(cfg, role) for role in ROLES}


def cost(usage_by_role: dict[str, dict[str, int]], table: dict[str, Price | None]) -> dict[str, Any]:
    """{"usd": total or None, "by_role": {role: usd or None}, "unknown": [roles with tokens but no price]}."""
    by_role: dict[str, float | None] = {}
    unknown = []
    for role, u in usage_by_role.items():
        tokens = u.get("prompt_tokens", 0) + u.get("completion_tokens", 0)
        price = table.get(role)
        if price is None:
            by_role[role] = None
            if tokens:
                unknown.append(role)
            continue
        by_role[role] = round(u.get("prompt_tokens", 0) * price[0] + u.get("completion_tokens", 0) * price[1], 6)
    total = None if unknown else round(sum(v for v in by_role.values() if v is not None), 6)
    return {"usd": total, "by_role": by_role, "unknown": sorted(unknown)}
