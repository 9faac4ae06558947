"""GIFT, Moodle's plain-text question format: `write` exports, `read` imports. The rules both
directions share are stated here once."""

# Characters GIFT gives a meaning, written with a backslash inside text (`\~`, `\{`...).
SPECIAL = "~=#{}:"
ESCAPABLE = frozenset(SPECIAL + "\\")
# GIFT has no syntax for points: hscourse carries them in a comment its importer reads back.
META_KEYS = ("id", "tag", "points")


def points_comment(points: str) -> str:
    return f"// [points:{points}]"
