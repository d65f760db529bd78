"""LTI 1.3 endpoints."""
from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti")
