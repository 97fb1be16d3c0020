"""Exceptions: one class per exrkit_status, all under :class:`Error`."""

from . import _abi
from ._library import library


class Error(Exception):
    """A failed exrkit call.

    ``status`` is the exrkit_status code, ``message`` the library's detailed
    message (file, part, chunk and what was wrong).
    """

    status = _abi.EXRKIT_ERR_INTERNAL

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(Error):
    """An argument was out of range or not allowed."""

    status = _abi.EXRKIT_ERR_INVALID_ARGUMENT


class IoError(Error):
    """The operating system failed to read the data."""

    status = _abi.EXRKIT_ERR_IO


class UnknownFormatError(Error):
    """The data is neither OpenEXR nor QOI."""

    status = _abi.EXRKIT_ERR_UNKNOWN_FORMAT


class CorruptError(Error):
    """The file breaks a rule of its format."""

    status = _abi.EXRKIT_ERR_CORRUPT


class UnsupportedError(Error):
    """The file uses a feature (say a codec) this build does not handle."""

    status = _abi.EXRKIT_ERR_UNSUPPORTED


class LimitExceededError(Error):
    """The file asks for more than the configured limits allow."""

    status = _abi.EXRKIT_ERR_LIMIT_EXCEEDED


class OutOfMemoryError(Error):
    """An allocation inside the library failed."""

    status = _abi.EXRKIT_ERR_OUT_OF_MEMORY


class BufferTooSmallError(Error):
    """A buffer given to the library was too small."""

    status = _abi.EXRKIT_ERR_BUFFER_TOO_SMALL


class BadStateError(Error):
    """The call is not allowed in the handle's current state."""

    status = _abi.EXRKIT_ERR_BAD_STATE


class CancelledError(Error):
    """A progress callback asked to stop."""

    status = _abi.EXRKIT_ERR_CANCELLED


class IncompleteError(Error):
    """The data asked for was never written (an unfinished file)."""

    status = _abi.EXRKIT_ERR_INCOMPLETE


class NotFoundError(Error):
    """The named attribute, channel or part does not exist."""

    status = _abi.EXRKIT_ERR_NOT_FOUND


class InternalError(Error):
    """A bug in exrkit (including a caught panic)."""

    status = _abi.EXRKIT_ERR_INTERNAL


_BY_STATUS = {
    cls.status: cls
    for cls in [
        InvalidArgumentError,
        IoError,
        UnknownFormatError,
        CorruptError,
        UnsupportedError,
        LimitExceededError,
        OutOfMemoryError,
        BufferTooSmallError,
        BadStateError,
        CancelledError,
        IncompleteError,
        NotFoundError,
        InternalError,
    ]
}


def error_for(status: int) -> Error:
    """The exception for a failed call that returned `status`, carrying the
    calling thread's last error message."""
    lib = library()
    message = lib.exrkit_last_error_message().decode("utf-8", "replace")
    if not message:
        message = lib.exrkit_status_string(status).decode("utf-8", "replace")
    return _BY_STATUS.get(status, Error)(message, status)


def check(status: int) -> None:
    """Raises the matching :class:`Error` unless `status` is EXRKIT_OK."""
    if status != _abi.EXRKIT_OK:
        raise error_for(status)
