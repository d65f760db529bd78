"""The course source editor at /manage/courses/<course>/source/."""
from flask import Blueprint

bp = Blueprint("editor", __name__, url_prefix="/manage/courses")
