"""Roles and the professional choices a person makes about themselves."""

from __future__ import annotations

LEARNER = "learner"
EDUCATOR = "educator"
PARTNER = "partner"
LEAD = "lead"
ADMIN = "admin"

ROLES = {
    LEARNER: "Learner",
    EDUCATOR: "Educator",
    PARTNER: "University partner",
    LEAD: "Programme lead",
    ADMIN: "Administrator",
}

PROFESSIONAL_GROUPS = {
    "doctor": "Doctor",
    "nurse": "Nurse",
    "midwife": "Midwife",
    "ahp": "Allied health professional",
    "pharmacy": "Pharmacist or pharmacy technician",
    "healthcare-science": "Healthcare scientist",
    "dental": "Dentist or dental care professional",
    "social-care": "Social care worker",
    "support-worker": "Healthcare support worker",
    "management": "Manager or administrator",
    "student": "Student",
    "other": "Other",
}

REGISTRATION_BODIES = {
    "GMC": "General Medical Council (GMC)",
    "NMC": "Nursing and Midwifery Council (NMC)",
    "HCPC": "Health and Care Professions Council (HCPC)",
    "GPhC": "General Pharmaceutical Council (GPhC)",
    "GDC": "General Dental Council (GDC)",
    "SWE": "Social Work England",
    "other": "Other",
}
