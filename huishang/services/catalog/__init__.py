"""The catalogue: streets, business types and colour classes (`seed`), and the checklists matched to
them (`checklists`).

Others use: the submodules `seed`, `checklists`."""
from . import checklists, seed

__all__ = ["checklists", "seed"]
