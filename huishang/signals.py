"""Cross-feature reactions, declared in one place and connected in `create_app` (`register_signals`).

A feature that changes a shop sends a signal; the features that keep something derived from it
(grading's stored facts and columns, the scan caches) receive it in the same transaction. The
senders do not know the receivers, so no feature imports another to tell it something happened.

- `shop_changed` (sender: the `Shop`): after any write that can change a shop's facts — its
  registration, an edit, 注销, an inspection, a complaint or a penalty. Receivers flush, never commit.
- `shops_importing` (sender: the list of new shops' column values, dicts with the same keys, about to
  be written in bulk by the registry import; such a shop has no records yet): receivers add their
  derived columns to every dict in place (grading's tier, grade, due date, credit class, list
  order), so the shops are written once, already graded.
- `shops_imported` (sender: the list of new shop ids): after the registry import or the history
  import has written shops in bulk; receivers work set-based.
- `complaint_moved` (sender: the complaint's id; keyword arguments `action`, `status`,
  `status_label` — the citizen-visible status —, `kind`, `notify_citizen` — True only when the
  citizen gave a mobile number AND ticked the SMS consent box —, `event_id` and `message`, the
  text for the citizen, never an internal or merchant note): after each step of a complaint
  (accepted, forwarded, answered, closed, reopened). `messages.on_complaint_moved` receives it and
  queues the citizen's progress SMS; receivers flush, never commit, and must not fail the step.
- `notification_created` (sender: the `Notification`): an in-app notice was added; the messages
  feature queues its e-mail / SMS copies in the same transaction.
"""
from blinker import Namespace

_signals = Namespace()

shop_changed = _signals.signal("shop-changed")
shops_importing = _signals.signal("shops-importing")
shops_imported = _signals.signal("shops-imported")
complaint_moved = _signals.signal("complaint-moved")
notification_created = _signals.signal("notification-created")
