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
from .findings import CODES, Finding
from .grading import GradeResult, grade
from .model import (
    TRACKS,
    Asset,
    Certificate,
    Choice,
    CompiledCourse,
    CompiledLesson,
    CompiledModule,
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
    "CODES", "QUESTION_TYPES", "Assembled", "CourseFiles", "assemble", "read_course",
    "TRACKS", "Asset", "Certificate", "Choice", "CompileCache",
    "CompileResult", "CompiledCourse", "CourseSource", "FolderSource", "ZipError", "ZipSource",
    "CompiledLesson", "CompiledModule", "CourseSummary",
    "Finding", "GradeResult", "NumericAnswer", "Outcome", "QuestionResult", "QuestionSpec",
    "Reflection", "TrackMap", "choice_order", "compile_course", "compile_folder", "compile_source",
    "course_revision", "grade", "render_markdown", "score",
]
