"""The one results writer: every run writes ``<out>/<stem>.json`` (the full result) and
``<out>/<stem>.md`` (its table) the same way."""
from __future__ import annotations

import json
from pathlib import Path


def write(result: dict, markdown: str, out_dir, stem: str) -> dict:
    """Write the JSON and the markdown of a result; returns {"json": path, "md": path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "md": out / f"{stem}.md"}
    paths["json"].write_text(json.dumps(result, indent=2))
    paths["md"].write_text(markdown.rstrip("\n") + "\n")
    return {k: str(v) for k, v in paths.items()}
