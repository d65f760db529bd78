"""Learners submit assignments; educators mark them."""
from flask import Blueprint

bp = Blueprint("assignments", __name__)
