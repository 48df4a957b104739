"""Running the CLI in-process in a test: exit status, stdout and stderr."""

from __future__ import annotations

from facepsych.cli import main


def run(argv, capsys) -> tuple[int, str, str]:
    """``facepsych ARGV`` in this process (each argument as ``str``) → (exit status, stdout,
    stderr) read from ``capsys``."""
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
