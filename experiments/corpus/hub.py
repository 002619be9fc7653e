"""Load documents from a Hugging Face hub dataset: `hf:<org/name>` or `hf:<org/name>:<split>` (default train).

Without a network, `datasets.load_dataset` retries for ~25 s before failing. So, unless offline mode is on,
a single HEAD request to the hub endpoint (`HF_ENDPOINT`, through huggingface_hub's HTTP session, so
proxies and custom client factories apply) with a 3 s timeout runs first; if it fails, a one-line
ConfigError says the hub is unreachable and suggests a local file. With `HF_HUB_OFFLINE=1`, the probe is
skipped and datasets loads from its local cache (instantly failing when nothing is cached). When the hub
answers, the normal online `load_dataset(name, split=...)` runs unchanged. The whole split is downloaded;
this module does not stream, sample or truncate.
"""

from __future__ import annotations

import os

import huggingface_hub
from huggingface_hub import constants

from experiments.config import ConfigError
from experiments.corpus.document import Document
from experiments.corpus.rows import documents_from_rows
from experiments.corpus.table_files import one_line

HUB_PREFIX = "hf:"
PROBE_TIMEOUT_S = 3.0
_LOCAL_HINT = "use a local .jsonl/.csv/.parquet file or a directory of .txt/.md files as corpus.source"


def parse_hub_source(source: str) -> tuple[str, str]:
    """`hf:org/name[:split]` -> (name, split)."""
    name, _, split = source[len(HUB_PREFIX) :].strip().partition(":")
    if not name or " " in name or name.count("/") > 1:
        raise ConfigError(f"corpus.source {source!r}: expected hf:<org/name> or hf:<org/name>:<split>")
    return name, split or "train"


def hub_endpoint() -> str:
    """The hub URL datasets would use: HF_ENDPOINT if set, else huggingface_hub's default."""
    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def hub_offline() -> bool:
    """Whether datasets runs in offline mode (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE at import time)."""
    import datasets.config  # datasets takes about 1 s to import: only when a hub source is used

    return bool(datasets.config.HF_HUB_OFFLINE)


def probe_hub(endpoint: str, timeout: float | None = None) -> str | None:
    """None when the hub endpoint answers within `timeout` (default PROBE_TIMEOUT_S); else a short reason."""
    try:
        response = huggingface_hub.get_session().head(
            endpoint, timeout=timeout or PROBE_TIMEOUT_S, follow_redirects=False
        )
    except Exception as exc:  # httpx transport errors, timeouts, offline-mode errors
        return one_line(exc)
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    return None


def load_hub_dataset(source: str, text_field: str, id_field: str) -> tuple[list[Document], list[tuple[str, str]]]:
    """Documents from one split of a hub dataset and the (source:id, reason) of skipped rows."""
    name, split = parse_hub_source(source)
    offline = hub_offline()
    if not offline:
        endpoint = hub_endpoint()
        reason = probe_hub(endpoint)
        if reason is not None:
            raise ConfigError(
                f"corpus.source {source!r}: the Hugging Face hub ({endpoint}) is unreachable ({reason}); "
                f"{_LOCAL_HINT}, or set HF_HUB_OFFLINE=1 to use a cached copy"
            )
    import datasets  # about 1 s to import: only when a hub source is used

    try:
        dataset = datasets.load_dataset(name, split=split)
    except Exception as exc:  # not found, gated, bad split, network drop, not cached offline
        if offline:
            raise ConfigError(
                f"corpus.source {source!r}: not in the local datasets cache and HF_HUB_OFFLINE is set; "
                f"unset it to download, or {_LOCAL_HINT}"
            ) from None
        raise ConfigError(f"corpus.source {source!r}: could not load it: {one_line(exc)}") from None
    return documents_from_rows(dataset, text_field, id_field, source=f"{HUB_PREFIX}{name}:{split}")
