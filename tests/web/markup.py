"""Reading pages whose markup comes from nhsuk-frontend-jinja, which spreads tags over many lines."""

import re


def squash(html: str) -> str:
    """The page with runs of white space made one space, and none just inside a tag's brackets."""
    return re.sub(r"\s*>\s*", ">", re.sub(r"\s*<\s*", "<", re.sub(r"\s+", " ", html)))
