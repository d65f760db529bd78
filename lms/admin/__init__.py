"""Admin screens: users, course staff, organisations and the audit trail. Admins only; every change audited."""
