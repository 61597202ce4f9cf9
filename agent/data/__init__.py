"""Data in and out: manifests and LeRobot datasets ingested as clips, final captions
exported as JSONL/Parquet, a LeRobot copy, or training pairs.

Modules: `lines` (the one JSONL/CSV line reader), `rows` (checking one row, building its clip),
`ingest` (the chunked pipeline from any reader to the store), `export`, and `lerobot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.data._export import export, export_lerobot, export_pairs, final_rows
    from agent.data._ingest import IngestInterrupted, IngestReport, Problem, ingest
    from agent.data._lines import read_manifest
    from agent.data._rows import read_gold
    from agent.errors import RowError

_WHERE = {
    "IngestInterrupted": "agent.data._ingest",
    "IngestReport": "agent.data._ingest",
    "Problem": "agent.data._ingest",
    "RowError": "agent.errors",
    "ingest": "agent.data._ingest",
    "read_gold": "agent.data._rows",
    "read_manifest": "agent.data._lines",
    "export": "agent.data._export",
    "export_lerobot": "agent.data._export",
    "export_pairs": "agent.data._export",
    "final_rows": "agent.data._export",
}
__all__ = [
    "IngestInterrupted",
    "IngestReport",
    "Problem",
    "RowError",
    "export",
    "export_lerobot",
    "export_pairs",
    "final_rows",
    "ingest",
    "read_gold",
    "read_manifest",
]
__getattr__ = lazy_exports(__name__, _WHERE)
