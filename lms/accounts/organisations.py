"""The seeded list of North West London partner organisations learners choose from.

`flask orgs sync` writes this list into the database; ids are stable keys, names may change.
"""

from __future__ import annotations

NHS_TRUST = "nhs-trust"
INTEGRATED_CARE = "integrated-care"
LOCAL_AUTHORITY = "local-authority"
UNIVERSITY = "university"
OTHER = "other"

KINDS = {
    NHS_TRUST: "NHS trusts",
    INTEGRATED_CARE: "Integrated care and primary care",
    LOCAL_AUTHORITY: "Local authorities",
    UNIVERSITY: "Universities",
    OTHER: "Other organisations",
}

ORGANISATIONS: tuple[tuple[str, str, str], ...] = (
    ("imperial-college-healthcare", "Imperial College Healthcare NHS Trust", NHS_TRUST),
    ("chelsea-westminster", "Chelsea and Westminster Hospital NHS Foundation Trust", NHS_TRUST),
    ("london-north-west", "London North West University Healthcare NHS Trust", NHS_TRUST),
    ("hillingdon-hospitals", "The Hillingdon Hospitals NHS Foundation Trust", NHS_TRUST),
    ("cnwl", "Central and North West London NHS Foundation Trust", NHS_TRUST),
    ("west-london-nhs", "West London NHS Trust", NHS_TRUST),
    ("clch", "Central London Community Healthcare NHS Trust", NHS_TRUST),
    ("royal-marsden", "The Royal Marsden NHS Foundation Trust", NHS_TRUST),
    ("london-ambulance", "London Ambulance Service NHS Trust", NHS_TRUST),
    ("nwl-icb", "NHS North West London Integrated Care Board", INTEGRATED_CARE),
    ("nwl-general-practice", "General practice in North West London", INTEGRATED_CARE),
    ("brent-council", "Brent Council", LOCAL_AUTHORITY),
    ("ealing-council", "Ealing Council", LOCAL_AUTHORITY),
    ("hammersmith-fulham-council", "Hammersmith & Fulham Council", LOCAL_AUTHORITY),
    ("harrow-council", "Harrow Council", LOCAL_AUTHORITY),
    ("hillingdon-council", "Hillingdon Council", LOCAL_AUTHORITY),
    ("hounslow-council", "Hounslow Council", LOCAL_AUTHORITY),
    ("kensington-chelsea-council", "Royal Borough of Kensington and Chelsea", LOCAL_AUTHORITY),
    ("westminster-council", "Westminster City Council", LOCAL_AUTHORITY),
    ("imperial-college-london", "Imperial College London", UNIVERSITY),
    ("brunel-university", "Brunel University of London", UNIVERSITY),
    ("university-of-west-london", "University of West London", UNIVERSITY),
    ("other-nhs", "Another NHS organisation", OTHER),
    ("other-social-care", "A social care provider", OTHER),
    ("other", "Another organisation", OTHER),
)
