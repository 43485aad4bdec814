"""Imports every feature's tables so that ``SQLModel.metadata`` knows the whole schema.

Alembic, the seed command and the tests import this module; a new feature adds its line here.
"""

from health_responder import models_base  # noqa: F401  (naming convention first)
from health_responder.allocation.models import Allocation  # noqa: F401
from health_responder.api.models import IdempotencyKey  # noqa: F401
from health_responder.audit.models import AuditEvent  # noqa: F401
from health_responder.auth.models import ApiToken, LoginFailure, User  # noqa: F401
from health_responder.checks.models import Alert  # noqa: F401
from health_responder.dispatch.models import Dispatch, DispatchLine  # noqa: F401
from health_responder.documents.models import Document  # noqa: F401
from health_responder.health_requests.models import AssistanceRequest, RequestLine  # noqa: F401
from health_responder.hub.models import CityProfile  # noqa: F401
from health_responder.materials.models import Material, MaterialVersion  # noqa: F401
from health_responder.notifications.models import Notification  # noqa: F401
from health_responder.offices.models import OfficeCity, RegionalOffice  # noqa: F401
from health_responder.providers.models import Provider, ProviderNetwork, StockLocation  # noqa: F401
from health_responder.publications.models import Publication, PublicationNetwork, PublicationTopic  # noqa: F401
from health_responder.reference.models import City, Item, Network, TrainingTopic  # noqa: F401
from health_responder.scheduler.models import JobRun  # noqa: F401
from health_responder.stock.models import StockImportClaim, StockLot, StockMovement  # noqa: F401
from health_responder.training.models import Enrolment, TrainingProgram, TrainingProgramNetwork  # noqa: F401
from health_responder.web.models import FormStash  # noqa: F401
