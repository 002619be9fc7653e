"""Dollar cost of recorded token usage, per role, from DSPy's bundled price table or the user's prices.

A role's price comes from `models.<role>.usd_per_mtok_in/out` when set (self-hosted or negotiated
prices; 0 is a valid price), otherwise from DSPy's bundled snapshot of LiteLLM's price map for hosted
model strings such as `openai/gpt-4o-mini`. Embedded models run in this process: no provider bills them,
so they cost 0 USD and are reported as "local". Served models that are not in the table (a llama.cpp or
vLLM server, an unknown name) have no price: their cost is reported as unknown (None), never as zero,
and a total that includes an unknown role is unknown too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dspy.clients.model_metadata import model_info, rate

from experiments.config import ROLES, RunConfig
from programs.usage import total_tokens

Price = tuple[float, float]  # USD per prompt token, per completion token


class LocalPrice(tuple):
    """The price of a model run in this process: nothing, and labelled "local" in reports."""


LOCAL = LocalPrice((0.0, 0.0))


def role_price(cfg: RunConfig, role: str) -> Price | None:
    spec = getattr(cfg.models, role)
    if spec.usd_per_mtok_in is not None and spec.usd_per_mtok_out is not None:
        return spec.usd_per_mtok_in / 1e6, spec.usd_per_mtok_out / 1e6
    if spec.model.startswith("embedded/"):
        return LOCAL
    if spec.model.startswith("llamacpp/") or "/" not in spec.model:
        return None
    provider, name = spec.model.split("/", 1)
    try:
        info = model_info(provider, name)
    except Exception:
        return None
    cost_in, cost_out = rate(info, "input_cost_per_token"), rate(info, "output_cost_per_token")
    return (cost_in, cost_out) if cost_in is not None and cost_out is not None else None


def prices(cfg: RunConfig) -> dict[str, Price | None]:
    return {role: role_price(cfg, role) for role in ROLES}


def cost(usage_by_role: Mapping[str, Mapping[str, float]], table: dict[str, Price | None]) -> dict[str, Any]:
    """{"usd": total or None, "by_role": {role: usd or None}, "unknown": [roles with tokens but no price],
    "local": [roles run in process, at 0 USD]}."""
    by_role: dict[str, float | None] = {}
    unknown = []
    local = sorted(role for role in usage_by_role if isinstance(table.get(role), LocalPrice))
    for role, u in usage_by_role.items():
        tokens = total_tokens(u)
        price = table.get(role)
        if price is None:
            by_role[role] = None
            if tokens:
                unknown.append(role)
            continue
        by_role[role] = round(u.get("prompt_tokens", 0) * price[0] + u.get("completion_tokens", 0) * price[1], 6)
    total = None if unknown else round(sum(v for v in by_role.values() if v is not None), 6)
    return {"usd": total, "by_role": by_role, "unknown": sorted(unknown), "local": local}


def usd_text(c: dict[str, Any]) -> str:
    """A cost record as the user reads it: dollars, "local" for in-process models, or unknown."""
    if c["usd"] is None:
        return f"unknown (no price for: {', '.join(c['unknown'])})"
    local = c.get("local") or []
    if local and set(local) >= {role for role, usd in c["by_role"].items() if usd is not None}:
        return "local ($0: every model runs in this process)"
    return f"${c['usd']:.4f}" + (f" (+ local, $0: {', '.join(local)})" if local else "")


def role_usd_text(c: dict[str, Any], role: str) -> str:
    usd = c["by_role"].get(role)
    if role in (c.get("local") or []):
        return "local"
    return f"{usd:.4f}" if usd is not None else "unknown"
