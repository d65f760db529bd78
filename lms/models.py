"""Imports every domain's models, so the metadata (and Alembic) sees every table."""

from lms.accounts.models import KeptForm, Organisation, User, UserSession  # noqa: F401
from lms.assignments.models import Mark, Submission, SubmissionFile  # noqa: F401
from lms.audit.models import AuditEntry  # noqa: F401
from lms.authoring.models import SourceDraft  # noqa: F401
from lms.catalog.models import (  # noqa: F401
    Course,
    CourseAsset,
    CourseStaff,
    Lesson,
    Module,
    Question,
    ReflectionPrompt,
)
from lms.credentials.models import Certificate, PartnerSettings, SignatureImage  # noqa: F401
from lms.credentials.signing import SigningKey  # noqa: F401
from lms.jobs.models import Job  # noqa: F401
from lms.learning.counts import EnrolmentDay, LearnerCount, ProgrammeCount, ProgressState  # noqa: F401
from lms.learning.models import (  # noqa: F401
    CohortUpload,
    Enrolment,
    LessonProgress,
    QuestionResponse,
    QuizAttempt,
    QuizDraft,
    ReflectionNote,
)
from lms.learning.tallies import ProgressSummary, QuestionTally  # noqa: F401
from lms.lti.models import (  # noqa: F401
    LtiIdentity,
    LtiLaunchState,
    LtiLink,
    LtiLinkMember,
    LtiPlatform,
    LtiToolKey,
)
from lms.privacy.models import DataExport  # noqa: F401
from lms.publishing.models import SourceBlob, SourceFile, SourceRevision  # noqa: F401
from lms.ratelimit import RateEvent  # noqa: F401
from lms.sso.models import SsoIdentity  # noqa: F401
