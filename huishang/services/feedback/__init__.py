"""Citizens' feedback: complaints and reports with the desk's workflow, reviews, and moderation;
the checks of a complaint's fields (`fields`).

The merchant's home reads `open_for_merchant(user)`: their complaints to answer, each with its
clock in words. Others use: `complaints`, `exports`, `fields`, `reviews`, `moderation` and the
names re-exported below."""
from . import complaints, exports, fields, moderation, reviews
from .complaints import TRANSITIONS, open_for_merchant
from .moderation import mask_personal, recount

__all__ = ["complaints", "exports", "fields", "moderation", "reviews", "TRANSITIONS", "mask_personal", "recount",
           "open_for_merchant"]
