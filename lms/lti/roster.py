"""Names and Role Provisioning: the VLE module's students are enrolled on the link's course and track."""

from __future__ import annotations

import logging

from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from lms import jobs
from lms.clock import utcnow
from lms.extensions import db
from lms.lti import services
from lms.lti.models import LtiLink
from lms.lti.tool import registration_for

ROSTER_TASK = "lti.sync_roster"
log = logging.getLogger(__name__)


def enqueue_roster(link: LtiLink, day: str) -> None:
    """Fetch the roster of the link's context once a day at most (the key carries the date)."""
    if link.memberships_url:
        jobs.enqueue(ROSTER_TASK, key=f"lti-roster:{link.id}:{day}", link_id=link.id)


@jobs.task(ROSTER_TASK)
def sync_roster(link_id: int) -> None:
    """Read the whole roster from the platform (every page) and enrol its active learners."""
    link = db.session.get(LtiLink, link_id)
    if link is None or not link.memberships_url:
        return
    service = NamesRolesProvisioningService(ServiceConnector(registration_for(link.platform)),
                                            {"context_memberships_url": link.memberships_url})
    result = services.enrol_roster(link, service.get_members(), utcnow())
    log.info("roster of link %s: %s enrolled, %s skipped", link.id, result.enrolled, result.skipped)

