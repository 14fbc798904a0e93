"""The demo district (`flask demo`): shops on every street, then the inspections, feedback and
merchants' steps.

Others use: the submodule `district` and the names re-exported below."""
from . import district
from .district import LOGINS, load_demo, login_lines

__all__ = ["district", "LOGINS", "load_demo", "login_lines"]
