"""Cross-feature reactions, declared in one place and connected in `create_app` (`register_signals`).

A feature that changes a shop sends a signal; the features that keep something derived from it
(grading's stored facts and columns, the scan caches) receive it in the same transaction. The
senders do not know the receivers, so no feature imports another to tell it something happened.

- `shop_changed` (sender: the `Shop`): after any write that can change a shop's facts — its
  registration, an edit, 注销, an inspection, a complaint or a penalty. Receivers flush, never commit.
- `shops_imported` (sender: the list of new shop ids): after the registry import or the history
  import has written shops in bulk; receivers work set-based.
- `notification_created` (sender: the `Notification`): an in-app notice was added; the messages
  feature queues its e-mail / SMS copies in the same transaction.
"""
from blinker import Namespace

_signals = Namespace()

shop_changed = _signals.signal("shop-changed")
shops_imported = _signals.signal("shops-imported")
notification_created = _signals.signal("notification-created")
