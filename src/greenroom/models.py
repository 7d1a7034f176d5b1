"""Every table of the service, imported in one place for Alembic and for tests."""

from greenroom.admin_area.models import ActivityWeek, ImportJob, Student
from greenroom.admins.models import Admin
from greenroom.audit.models import AuditEvent
from greenroom.auth.models import AuthToken
from greenroom.content.models import HiddenQuestionSet, QuestionCategory, QuestionSetRow
from greenroom.core.db import Base
from greenroom.exports.models import UserExport
from greenroom.idempotency.models import IdempotencyRecord
from greenroom.jobs.models import Job
from greenroom.keys.models import ApiKey
from greenroom.practice.models import Answer, AnswerComment, Interview, InterviewCounter
from greenroom.progress.models import UserProgress
from greenroom.tenancy.models import Organization
from greenroom.users.models import SsoToken, User
from greenroom.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
    WebhookVerificationKey,
)
from greenroom.websessions.models import WebSession

__all__ = [
    "ActivityWeek",
    "Admin",
    "Answer",
    "AnswerComment",
    "ApiKey",
    "AuditEvent",
    "AuthToken",
    "Base",
    "HiddenQuestionSet",
    "IdempotencyRecord",
    "ImportJob",
    "Interview",
    "InterviewCounter",
    "Job",
    "Organization",
    "QuestionCategory",
    "QuestionSetRow",
    "SsoToken",
    "Student",
    "User",
    "UserExport",
    "UserProgress",
    "WebSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookMessage",
    "WebhookVerificationKey",
]
