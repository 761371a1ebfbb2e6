"""``wardwatch registry``: versions with lineage, gates, approvals, promotion, rollback,
model cards, evidence bundles and API keys.

Every command acts as the person its API key belongs to (``--api-key`` or
``WARDWATCH_API_KEY``), in that key's role. Exit codes: 0 done, 1 refused (gates fail, no
approval, the role may not, self-approval, an alias moved outside wardwatch), 2 cannot run
(no workspace, no or bad key, unknown version, a bad policy file).
"""

from wardwatch.cli.registry import _export, _identities, _versions  # noqa: F401 (commands)
from wardwatch.cli.registry._shared import registry_app
from wardwatch.registry import alias_problems

__all__ = ["alias_problems", "registry_app"]
