"""Video in: frame sampling (one decode pass per clip), contact sheets, probing, and
browser-playable copies and stills for the review page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent._exports import lazy_exports

if TYPE_CHECKING:
    from agent.media._frames import (
        DEFAULT_FRAMES,
        DEFAULT_MAX_SIDE,
        Frames,
        VideoInfo,
        VideoLimits,
        contact_sheet,
        encode_jpeg,
        fit_within,
        probe,
        sample_for_model,
        sample_frames,
        sheet_size,
    )
    from agent.media._playable import frame_at, inside_root, play_window, playable

_WHERE = {
    "DEFAULT_FRAMES": "agent.media._frames",
    "DEFAULT_MAX_SIDE": "agent.media._frames",
    "Frames": "agent.media._frames",
    "VideoInfo": "agent.media._frames",
    "VideoLimits": "agent.media._frames",
    "contact_sheet": "agent.media._frames",
    "encode_jpeg": "agent.media._frames",
    "fit_within": "agent.media._frames",
    "probe": "agent.media._frames",
    "sample_for_model": "agent.media._frames",
    "sample_frames": "agent.media._frames",
    "sheet_size": "agent.media._frames",
    "frame_at": "agent.media._playable",
    "inside_root": "agent.media._playable",
    "play_window": "agent.media._playable",
    "playable": "agent.media._playable",
}
__all__ = [
    "DEFAULT_FRAMES",
    "DEFAULT_MAX_SIDE",
    "Frames",
    "VideoInfo",
    "VideoLimits",
    "contact_sheet",
    "encode_jpeg",
    "fit_within",
    "frame_at",
    "inside_root",
    "play_window",
    "playable",
    "probe",
    "sample_for_model",
    "sample_frames",
    "sheet_size",
]
__getattr__ = lazy_exports(__name__, _WHERE)
