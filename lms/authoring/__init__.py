"""Authoring in the browser: the course source editor (`editor_views`) and ZIP upload (`upload_views`)."""
