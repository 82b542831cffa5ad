"""The report's HTML as a small tree, for tests: its elements by tag, attribute or id, the text of
a table's rows, and the size of an embedded PNG."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VOID_TAGS = {"meta", "img", "br", "hr", "link", "input", "source", "col", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def own_text(self) -> str:
        return "".join(c for c in self.children if isinstance(c, str))

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                        child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def by_id(self, element_id: str) -> Node:
        (found,) = self.find_all(id=element_id)
        return found


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID_TAGS:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def header_texts(table: Node) -> list[str]:
    (thead,) = table.find_all("thead")
    return [th.text() for th in thead.find_all("th")]


def body_rows(table: Node) -> list[list[str]]:
    """The text of every body row's cells, the row header included."""
    return [[cell.text() for cell in row.children if isinstance(cell, Node)]
            for body in table.find_all("tbody") for row in body.find_all("tr")]


def group_summary_cell(table: Node, parameter: str, group: str, visit: str) -> Node:
    """The cell of a parameter's group row under a visit's column, found by the visible texts."""
    column = header_texts(table).index(visit)
    for body in table.find_all("tbody"):
        rows = body.find_all("tr")
        if rows[0].text() != parameter:
            continue
        for row in rows[1:]:
            cells = [c for c in row.children if isinstance(c, Node)]
            if cells[0].text() == group:
                return cells[column]
    raise AssertionError(f"no row for {parameter} / {group}")


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    return struct.unpack(">II", png[16:24])


def parse_dumped(dumped: str) -> Node:
    """Chromium's serialised DOM, which may leave void elements unclosed in its own way."""
    builder = TreeBuilder()
    builder.feed(dumped)
    return builder.root
