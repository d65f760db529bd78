"""Upload a course as a ZIP at /manage/courses/upload."""
from flask import Blueprint

bp = Blueprint("upload", __name__, url_prefix="/manage/courses")
