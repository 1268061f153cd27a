"""Every model module, imported so that `Base.metadata` knows every table."""

from app.agents import models as agents_models
from app.apikeys import models as apikeys_models
from app.core import idempotency
from app.core.db import Base
from app.lenders import models as lenders_models

metadata = Base.metadata

__all__ = ["agents_models", "apikeys_models", "idempotency", "lenders_models", "metadata"]
