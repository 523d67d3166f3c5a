"""Errors that describe a problem with what the user asked for."""


class UserError(Exception):
    """Bad input: the CLI prints the message on one line and exits with code 2."""


class TuningError(RuntimeError):
    """The run could not produce a result (e.g. the untuned program does not run)."""


class TuningStopped(Exception):
    """Raised inside MetaSchedule callbacks to end a run early (Ctrl-C)."""
