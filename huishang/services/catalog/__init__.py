"""The catalogue: streets, business types and colour classes (`seed`), the business types as
regulators manage them (`types`), the checklists matched to shops and the cold-chain colour table
(`checklists`), and the checks of their fields (`fields`).

Others use: the submodules `seed`, `checklists`, `types`, `fields`."""
from . import checklists, fields, seed, types

__all__ = ["checklists", "fields", "seed", "types"]
