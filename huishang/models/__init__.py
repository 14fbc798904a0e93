"""All models, imported here so that Alembic and `db.create_all()` see every table."""
from .audit import AuditEvent  # noqa: F401
from .base import today, utcnow  # noqa: F401
from .calendar import CalendarDay  # noqa: F401
from .checklists import CatalogSetting, ChecklistItem, ChecklistTemplate  # noqa: F401
from .feedback import (  # noqa: F401
    Complaint,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintSupport,
    ReplyTemplate,
    Review,
)
from .grading import (  # noqa: F401
    CreditRepair,
    DrawTarget,
    GradeEvent,
    GradingRule,
    PlanItem,
    RandomDraw,
    ShopGrading,
)
from .inspections import Inspection, InspectionAnswer, Rectification  # noqa: F401
from .integration import ApiKey  # noqa: F401
from .jobs import Job  # noqa: F401
from .merchant import (  # noqa: F401
    ChangeRequest,
    ClaimCode,
    Message,
    Notice,
    Notification,
    Policy,
    PropertyReport,
    Question,
    ReminderSent,
    Staff,
)
from .messages import OutboundMessage  # noqa: F401
from .penalties import Penalty  # noqa: F401
from .registry import (  # noqa: F401
    BusinessType,
    Complex,
    Entity,
    Licence,
    PlateCode,
    PublishedFace,
    ScanCount,
    Shop,
    Street,
)
from .selfchecks import SelfCheck  # noqa: F401
from .users import User  # noqa: F401
