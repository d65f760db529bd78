"""Track names shown to people, and the track a professional group starts on."""

from __future__ import annotations

TRACK_LABELS = {
    "postgraduate": "Postgraduate",
    "ahp": "Allied health professionals",
    "junior": "Junior staff",
}

TRACK_DESCRIPTIONS = {
    "postgraduate": "For students on a university module: critical appraisal and research depth.",
    "ahp": "Examples from physiotherapy, radiography, dietetics and other allied health practice.",
    "junior": "For foundation doctors, newly qualified nurses and others: practical ward-level improvement.",
}

# Only a starting suggestion: every learner chooses, and may switch later.
DEFAULT_TRACK_BY_GROUP = {
    "ahp": "ahp",
    "student": "postgraduate",
}


def default_track(professional_group: str | None, tracks: list[str]) -> str:
    """The track to preselect for someone in this professional group, among the course's tracks."""
    preferred = DEFAULT_TRACK_BY_GROUP.get(professional_group or "", "junior")
    return preferred if preferred in tracks else tracks[0]


def track_label(track: str) -> str:
    return TRACK_LABELS.get(track, track)
