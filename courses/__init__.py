"""The course compiler: a folder of Markdown in, immutable compiled courses out.

Pure library: imports only the standard library, Markdown, pymdown-extensions, PyYAML and nh3.
"""

from .cache import CompileCache
from .compiler import CompileResult, CourseSummary, compile_course, compile_folder, compile_source
from .draws import draw_questions
from .findings import CODES, Finding
from .grading import GradeResult, grade
from .model import (
    TRACKS,
    Asset,
    AssignmentSpec,
    Certificate,
    Choice,
    CompiledCourse,
    CompiledLesson,
    CompiledModule,
    Draw,
    Marking,
    NumericAnswer,
    Outcome,
    QuestionSpec,
    Reflection,
    TrackMap,
)
from .questions import QUESTION_TYPES, QuestionResult, choice_order, score
from .render import render_markdown
from .revision import course_revision
from .source import CourseSource, FolderSource, ZipError, ZipSource

__all__ = [
    "CODES", "QUESTION_TYPES", "TRACKS", "Asset", "AssignmentSpec", "Certificate", "Choice", "CompileCache",
    "CompileResult", "CompiledCourse", "CourseSource", "FolderSource", "ZipError", "ZipSource",
    "CompiledLesson", "CompiledModule", "CourseSummary", "Draw", "draw_questions",
    "Finding", "GradeResult", "Marking", "NumericAnswer", "Outcome", "QuestionResult", "QuestionSpec",
    "Reflection", "TrackMap", "choice_order", "compile_course", "compile_folder", "compile_source",
    "course_revision", "grade", "render_markdown", "score",
]
