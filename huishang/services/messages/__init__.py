"""Messages that leave the platform: one outbox (`OutboundMessage` rows) with two channels beside the in-app
notification centre — e-mail over SMTP and SMS through a mainland provider's HTTP API — sent by the
background job `messages.deliver` with retries, capped per person and day.

Who gets what (`policy.KIND_CHANNELS`): inspectors when a visit is assigned to them and when a
complaint they handle is escalated; merchants when a complaint is forwarded (with its clock), before
licences and health certificates expire and when a rectification falls due; citizens when their
complaint moves, by SMS, only when they gave a phone and agreed. Every in-app notification passes
through `on_notification` (the `notification_created` signal, connected in `create_app`).

Others use: `enqueue`, `deliver_due`, `notify_citizen`, `on_notification`, `on_complaint_moved` (the
`complaint_moved` signal's receiver: a citizen's progress SMS), `outbox_page`, `mask_address`,
`KIND_CHANNELS`, `channels`."""
from . import channels
from .delivery import deliver_due
from .outbox import PAGE_SIZE, enqueue, mask_address, outbox_page
from .policy import KIND_CHANNELS, notify_citizen, on_complaint_moved, on_notification

__all__ = ["channels", "deliver_due", "enqueue", "outbox_page", "mask_address", "PAGE_SIZE", "notify_citizen",
           "on_notification", "on_complaint_moved", "KIND_CHANNELS"]
