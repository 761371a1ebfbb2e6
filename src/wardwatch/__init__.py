"""wardwatch: keep clinical ML and LLM systems trustworthy in production.

The package is a pipeline of stages (``ingest`` -> ``quality`` -> ``features`` -> ``train`` /
``evaluate`` -> ``registry`` -> ``serve`` -> ``monitor``); each stage is a library first, with a CLI
(``wardwatch.cli``) as a thin shell over it. See ``DESIGN.md`` in the shared folder for the map.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wardwatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
