"""The merchant's side of the registry: change requests and licences, staff, ownership claims,
policies and the merchants' questions; the checks of a staff record's and a licence's fields (`fields`).

Others use: `changes`, `fields`, `licences`, `staff`, `claims`, `policies`, `questions` and the names
below."""
from . import changes, claims, fields, licences, policies, questions, staff
from .licences import send_reminders, threshold_due
from .questions import time_left

__all__ = ["changes", "claims", "fields", "licences", "policies", "questions", "staff", "send_reminders",
           "threshold_due", "time_left"]
