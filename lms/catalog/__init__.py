"""Catalogue: published courses and the pages that list them."""
