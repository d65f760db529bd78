"""Front matter: the YAML between ``---`` lines at the top of a file, with a line per key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# libyaml is ten times faster than the pure-Python parser; both give line marks
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: a key path such as ("learning_outcomes", 2, "id") -> 1-based line in the file
LineMap = dict[tuple[Any, ...], int]


@dataclass(slots=True)
class Problem:
    """A problem found while reading YAML, before it becomes a Finding."""

    line: int
    code: str
    message: str


@dataclass(slots=True)
class YamlResult:
    data: Any
    lines: LineMap = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class FrontMatter:
    """A file split into its front matter and its body."""

    data: dict[str, Any] | None  # None when the front matter could not be read
    lines: LineMap
    body: list[str]  # the body's lines, without line endings
    body_start: int  # 1-based line number of body[0]
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, *path: Any) -> int:
        """The line of a key (or list item) path, falling back to its parents, then line 1."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1


def load_yaml(text: str, first_line: int) -> YamlResult:
    """Parse YAML, recording the line of every mapping key and list item.

    ``first_line`` is the file line of the text's first line. Anchors and aliases are refused:
    they are never needed in course files and can make a tiny file expand without bound.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlResult(None)
        result = YamlResult(None)
        if not _walk(node, (), first_line, result, set()):
            return result
        result.data = loader.construct_document(node)
        return result
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or exc.context or "the text is not valid YAML"
        return YamlResult(None, problems=[Problem(line, "E022", (
            f"this line cannot be read ({problem}); a value that contains ': ' or starts "
            "with [ { * & ! | > ' \" % @ or ` must be put in quotes, as in "
            "title: \"PDSA: a worked example\""))])
    except yaml.YAMLError as exc:  # pragma: no cover - libyaml reports marks; belt and braces
        return YamlResult(None, problems=[Problem(first_line, "E022", str(exc))])
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: tuple[Any, ...], first_line: int, result: YamlResult,
          seen: set[int]) -> bool:
    if id(node) in seen:
        result.problems.append(Problem(
            first_line + node.start_mark.line, "E022",
            "anchors and aliases ('&' and '*') are not supported; write the value out in full"))
        return False
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = first_line + key_node.start_mark.line
            if key in keys:
                result.problems.append(Problem(
                    line, "E025", f"'{key}' is given twice; keep only one '{key}:' line"))
            keys.add(key)
            result.lines.setdefault(path + (key,), line)
            if not _walk(value_node, path + (key,), first_line, result, seen):
                return False
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            result.lines[path + (index,)] = first_line + item.start_mark.line
            if not _walk(item, path + (index,), first_line, result, seen):
                return False
    return True


def split_front_matter(text: str) -> FrontMatter:
    """Split ``text`` into front matter and body and parse the YAML.

    Problems (missing, unclosed or invalid front matter, duplicate keys) are returned in
    ``problems``; ``data`` is None when nothing usable was found.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(None, {}, lines, 1, [Problem(
            1, "E020",
            "the file must start with front matter: a '---' line, 'id:' and 'title:' lines, "
            "then another '---' line")])
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return FrontMatter(None, {}, [], len(lines) + 1, [Problem(
            1, "E021",
            "the front matter that starts here is never closed; add a '---' line after the "
            "last 'key: value' line")])
    parsed = load_yaml("\n".join(lines[1:end]), 2)
    data = parsed.data
    problems = parsed.problems
    if data is None and not problems:
        data = {}
    elif data is not None and not isinstance(data, dict):
        problems.append(Problem(
            2, "E023",
            "the front matter must be 'key: value' lines (such as 'id: my-lesson'), "
            "not a list or a single value"))
        data = None
    return FrontMatter(data, parsed.lines, lines[end + 1:], end + 2, problems)
