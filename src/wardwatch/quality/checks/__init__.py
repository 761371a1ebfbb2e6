"""The checks; importing this package registers every one in ``CHECKS``."""

from wardwatch.quality.checks import (  # noqa: F401
    codes,
    delay,
    duplicates,
    profile,
    quarantine,
    references,
    structure,
    times,
    units,
)
