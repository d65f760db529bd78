"""Credentials: certificates issued on completion or by the partner; verification; partner pages."""
