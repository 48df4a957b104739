"""The one exception type the command line turns into a one-line error message."""


class FacepsychError(Exception):
    """A user-facing error: bad input, a missing file, an invalid option.

    The message must be one readable line (or a short readable list, e.g. a key diff) that says
    what is wrong and, where possible, how to fix it. The CLI prints it without a traceback and
    exits with status 2.
    """
