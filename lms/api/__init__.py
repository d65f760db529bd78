"""The public JSON API (/api/v1): certificate verification for machines, described by OpenAPI 3.1."""
