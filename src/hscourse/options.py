"""How a build runs: the options the CLI (or a library caller) passes to `hscourse.build`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """How to build: forced rebuild, worker count, form seed, checks."""

    force: bool = False
    jobs: int | None = None
    seed: str | None = None
    leak_check: bool = True
    large_print: bool = False
    strict: bool = False
    personalised: bool = False  # answer sheets per student of the roster, one class PDF
    html: bool = False  # the web edition whatever the course says (`hscourse serve`)

    def stamp(self) -> str:
        """The options that change what a build writes (not force or jobs)."""
        return repr((self.seed, self.leak_check, self.large_print, self.strict,
                     self.personalised, self.html))
