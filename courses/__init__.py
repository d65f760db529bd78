"""The course compiler: a folder of Markdown in, immutable compiled courses out.

Pure library: imports only the standard library, Markdown, pymdown-extensions, PyYAML and nh3.
"""

from .cache import CompileCache
from .compiler import (
    Assembled,
    CompileResult,
    CourseFiles,
    CourseSummary,
    assemble,
    compile_course,
    compile_folder,
    compile_source,
    read_course,
)
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
    MatchPair,
    NumericAnswer,
    Outcome,
    QuestionSpec,
    Reflection,
    TrackMap,
)
from .questions import LISTED_TYPES, QUESTION_TYPES, ItemResult, QuestionResult, choice_order, item_results, score
from .render import render_markdown
from .revision import course_revision
from .source import CourseSource, FolderSource, ZipError, ZipSource

__all__ = [
    "CODES", "LISTED_TYPES", "QUESTION_TYPES", "TRACKS", "Assembled", "Asset", "AssignmentSpec", "Certificate",
    "Choice", "CompileCache", "CompileResult", "CompiledCourse", "CourseFiles", "CourseSource", "FolderSource",
    "ZipError", "ZipSource", "CompiledLesson", "CompiledModule", "CourseSummary", "Draw", "draw_questions",
    "Finding", "GradeResult", "ItemResult", "Marking", "MatchPair", "NumericAnswer", "Outcome", "QuestionResult",
    "QuestionSpec", "Reflection", "TrackMap", "assemble", "choice_order", "item_results", "compile_course",
    "compile_folder", "compile_source", "read_course",
    "course_revision", "grade", "render_markdown", "score",
]
