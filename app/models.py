"""Every model module, imported so that `Base.metadata` knows every table."""

from app.agents import models as agents_models
from app.apikeys import models as apikeys_models
from app.compliance import models as compliance_models
from app.contacts import models as contacts_models
from app.core import idempotency
from app.core.db import Base
from app.debtors import models as debtors_models
from app.debts import models as debts_models
from app.escalations import models as escalations_models
from app.lenders import models as lenders_models
from app.payments import models as payments_models
from app.plans import models as plans_models
from app.stats import models as stats_models
from app.webhooks import models as webhooks_models

metadata = Base.metadata

__all__ = [
    "agents_models",
    "apikeys_models",
    "compliance_models",
    "contacts_models",
    "debtors_models",
    "debts_models",
    "escalations_models",
    "idempotency",
    "lenders_models",
    "metadata",
    "payments_models",
    "webhooks_models",
    "plans_models",
    "stats_models",
]
