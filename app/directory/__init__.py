"""The Chorus Pro directory: a PostgreSQL cache of recipients and the pre-flight checks."""

from app.directory.checks import check_invoice
from app.directory.preflight import directory_check, directory_errors
from app.directory.service import DirectoryPolicy, DirectoryUnavailable

__all__ = [
    "DirectoryPolicy",
    "DirectoryUnavailable",
    "check_invoice",
    "directory_check",
    "directory_errors",
]
