"""UK GDPR: download my data, delete my account (and admins erasing on request), retention of
inactive accounts, and the privacy, accessibility and help pages."""
