"""Entry point: `python -m insights <command> ...`.

Each subcommand is one entry of COMMANDS: its name maps to a callable taking the remaining
command-line arguments and returning an exit status. Entries import their module when
called, so `python -m insights evaluate` does not load the web service and the digest does
not load the clustering benchmarks.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

Command = Callable[[Sequence[str]], int]



def _evaluate(argv: Sequence[str]) -> int:
    from insights.evaluate import main as evaluate

    return evaluate(argv)


COMMANDS: dict[str, Command] = {
    "evaluate": _evaluate,
}


def _lazy(module: str) -> Command:
    """Return a command that imports insights.<module> only when run, and calls its main."""

    def run(args: Sequence[str]) -> int:
        main: Command = importlib.import_module(f"insights.{module}").main
        return main(args)

    return run


COMMANDS["digest"] = _lazy("digest")  # python -m insights digest --since 7d --out DIR
COMMANDS["seed"] = _lazy("seed")  # python -m insights seed --tickets … --cases …
COMMANDS["recompute"] = _lazy("recompute")  # python -m insights recompute (for a scheduler)


def _usage() -> str:
    names = ", ".join(sorted(COMMANDS)) or "(none)"
    return f"usage: python -m insights <command> [args...]\ncommands: {names}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand named by the first argument."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"unknown command {args[0]!r}\n{_usage()}", file=sys.stderr)
        return 2
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
