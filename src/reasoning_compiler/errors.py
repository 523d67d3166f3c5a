"""Errors that describe a problem with what the user asked for."""


class UserError(Exception):
    """Bad input: the CLI prints the message on one line and exits with code 2."""


class TuningError(RuntimeError):
    """The run could not produce a result (e.g. the untuned program does not run)."""


class TuningStopped(Exception):
    """Raised inside MetaSchedule callbacks to end a run early (Ctrl-C)."""


MAX_COUNT = 2**31 - 1  # the largest count or seed that MetaSchedule's integer fields hold


def check_count(flag: str, value, minimum: int = 1) -> None:
    """A count or seed from the user: an integer in [minimum, MAX_COUNT], or a UserError."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
        raise UserError(f"{flag} must be an integer from {minimum} to {MAX_COUNT}, got {value!r}")


# The optional extras (pyproject.toml) and the packages that come with them.
_EXTRA_OF = {"torch": "torch", "onnx": "onnx", "onnxruntime": "onnx"}


def missing_extra(err: ModuleNotFoundError) -> UserError | None:
    """A one-line error naming the install command, if ``err`` is an optional extra's package."""
    package = (err.name or "").split(".")[0]
    extra = _EXTRA_OF.get(package)
    if extra is None:
        return None
    return UserError(
        f"this needs {package}, which comes with an optional extra: "
        f"pip install 'reasoning-compiler[{extra}]' (in a checkout: pip install -e '.[{extra}]')"
    )
