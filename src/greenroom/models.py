"""Every table of the service, imported in one place for Alembic and for tests."""

from greenroom.admin_area.models import ImportJob
from greenroom.admins.models import Admin
from greenroom.audit.models import AuditEvent
from greenroom.auth.models import AuthToken
from greenroom.content.models import QuestionSetRow
from greenroom.core.db import Base
from greenroom.idempotency.models import IdempotencyRecord
from greenroom.jobs.models import Job
from greenroom.keys.models import ApiKey
from greenroom.practice.models import Answer, Interview, InterviewCounter
from greenroom.progress.models import UserProgress
from greenroom.sso.models import SsoToken
from greenroom.tenancy.models import Organization
from greenroom.users.models import User
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookVerificationKey,
)
from greenroom.websessions.models import WebSession

__all__ = [
    "Admin",
    "Answer",
    "ApiKey",
    "AuditEvent",
    "AuthToken",
    "Base",
    "IdempotencyRecord",
    "ImportJob",
    "Interview",
    "InterviewCounter",
    "Job",
    "Organization",
    "QuestionSetRow",
    "SsoToken",
    "User",
    "UserProgress",
    "WebSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebhookVerificationKey",
]
