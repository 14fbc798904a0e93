"""Citizens' feedback: complaints and reports with the desk's workflow, reviews, and moderation.

Others use: `complaints`, `reviews`, `moderation`, `exports` and the names re-exported below."""
from . import complaints, exports, moderation, reviews
from .complaints import TRANSITIONS
from .moderation import mask_personal, recount

__all__ = ["complaints", "exports", "moderation", "reviews", "TRANSITIONS", "mask_personal", "recount"]
