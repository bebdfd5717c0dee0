"""Errors a user can fix: each names the file, the field path and what was expected."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from a file or the command line; ``cli`` prints one line per problem, exit 2."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def dotted(loc: tuple[object, ...] | list[object]) -> str:
    """Render a location like ``("traffic", "sorties", 2)`` as ``traffic.sorties[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
