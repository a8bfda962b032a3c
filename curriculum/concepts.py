"""Value-concept dependency graphs: concepts with prose descriptions and prerequisites.

A graph is written in YAML or JSON::

    concepts:
      - name: honesty
        description: Saying what is true, even when a lie would be easier...
        keywords: [honest, honesty, truth, lie]
      - name: trustworthiness
        description: ...
        requires: [honesty, responsibility]

Concepts with no prerequisites have depth 0; every other concept is one deeper than its deepest
prerequisite. Unknown names, duplicates, missing descriptions and cycles are errors; a cycle error
prints the cycle (``a -> b -> c -> a``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from curriculum._documents import read_document
from curriculum.errors import InvalidTypeError, InvalidValueError, MissingFileError

__all__ = ["SHIPPED_GRAPHS", "Concept", "ConceptGraph", "example_value_graph", "load_graph"]

#: Names of the graphs shipped with the package (``example`` is another name for ``values``).
SHIPPED_GRAPHS = ("values", "example")


@dataclass(frozen=True)
class Concept:
    """One concept: its name, why it matters (prose), keywords, and prerequisite names."""

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    requires: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], position: int) -> Concept:
        """Build from a mapping as found in YAML/JSON, checking every field's type."""
        if not isinstance(data, Mapping):
            raise InvalidTypeError(
                f"concepts[{position}] must be a mapping with name/description/keywords/requires, "
                f"but got {type(data).__name__}"
            )
        unknown = sorted(set(data) - {"name", "description", "keywords", "requires"})
        if unknown:
            raise InvalidValueError(
                f"concepts[{position}] has unknown fields {unknown}; "
                "allowed: name, description, keywords, requires"
            )
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidValueError(
                f"concepts[{position}] needs a non-empty string name, but got {name!r}"
            )
        description = data.get("description")
        if description is not None and not isinstance(description, str):
            raise InvalidTypeError(
                f"concept {name!r}: description must be prose (a string), but got "
                f"{type(description).__name__}: {description!r:.60}"
            )
        if not isinstance(description, str) or not description.strip():
            raise InvalidValueError(
                f"concept {name!r} has no description: write in prose what it is and why it "
                "matters (it is also what embedding assignment compares texts with)"
            )
        lists = {}
        for key in ("keywords", "requires"):
            value = data.get(key) or []
            if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                raise InvalidTypeError(
                    f"concept {name!r}: {key} must be a list of non-empty strings, "
                    f"but got {value!r}"
                )
            lists[key] = tuple(v.strip() for v in value)
        return cls(name.strip(), description.strip(), lists["keywords"], lists["requires"])


class ConceptGraph:
    """A validated directed acyclic graph of concepts (prerequisite -> concept).

    Args:
        concepts: :class:`Concept` objects or mappings with ``name``, ``description``, optional
            ``keywords`` and ``requires``.

    Raises:
        ValueError: empty graph, duplicate or unknown names, missing description, or a cycle.
    """

    def __init__(self, concepts: Iterable[Concept | Mapping[str, Any]]) -> None:
        import networkx as nx

        items = [
            c if isinstance(c, Concept) else Concept.from_mapping(c, i)
            for i, c in enumerate(concepts)
        ]
        if not items:
            raise InvalidValueError("a concept graph must hold at least one concept, but got none")
        names = [c.name for c in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidValueError(
                f"concept names must be unique, but {duplicates} appear more than once"
            )
        known = set(names)
        for c in items:
            missing = [r for r in c.requires if r not in known]
            if missing:
                raise InvalidValueError(
                    f"concept {c.name!r} requires unknown concept(s) {missing}; "
                    f"known concepts: {sorted(known)}"
                )
        graph = nx.DiGraph()
        graph.add_nodes_from(names)
        graph.add_edges_from((r, c.name) for c in items for r in c.requires)
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle:
            path = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
            raise InvalidValueError(
                f"the concept graph has a cycle: {path}; a concept cannot (even indirectly) "
                "require itself, remove one of these requirements"
            )
        self.concepts: dict[str, Concept] = {c.name: c for c in items}
        self.graph = graph
        self.depths: dict[str, int] = {}
        for name in nx.topological_sort(graph):
            parents = list(graph.predecessors(name))
            self.depths[name] = 1 + max(self.depths[p] for p in parents) if parents else 0

    # -- loading --------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | list[Any]) -> ConceptGraph:
        """From ``{"concepts": [...]}`` or a bare list of concept mappings."""
        if isinstance(data, Mapping):
            if "concepts" not in data:
                raise InvalidValueError(
                    "a concept graph document needs a top-level 'concepts' list"
                )
            data = data["concepts"]
        if not isinstance(data, list):
            raise InvalidTypeError(f"'concepts' must be a list, but got {type(data).__name__}")
        return cls(data)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ConceptGraph:
        """Read a ``.yaml``/``.yml`` or ``.json`` file."""
        return cls.from_dict(read_document(path, "concept graph"))

    # -- queries --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts.values())

    def __getitem__(self, name: str) -> Concept:
        return self.concepts[name]

    @property
    def max_depth(self) -> int:
        """Depth of the deepest concept."""
        return max(self.depths.values())

    def prerequisites(self, name: str) -> set[str]:
        """Every concept ``name`` requires, directly or indirectly."""
        import networkx as nx

        return set(nx.ancestors(self.graph, name))

    def order(self) -> list[str]:
        """Concepts by depth, then name: an order in which every prerequisite comes first."""
        return sorted(self.concepts, key=lambda n: (self.depths[n], n))

    def violations(self, order: Sequence[int], primary: Sequence[Sequence[str]]) -> int:
        """Texts emitted before every text of their concepts' prerequisites was.

        Args:
            order: emitted text indices, in order (one epoch).
            primary: per text, the concepts that place it (the deepest it touches).

        Returns:
            How many emitted texts have a concept one of whose (transitive) prerequisites still
            has a text to come; 0 means the order respects the graph.
        """
        last: dict[str, int] = {}
        for position, i in enumerate(order):
            for name in primary[i]:
                last[name] = position
        needs = {name: self.prerequisites(name) for name in self.concepts}
        return sum(
            1
            for position, i in enumerate(order)
            if any(last.get(p, -1) > position for name in primary[i] for p in needs[name])
        )

    def to_dict(self) -> dict[str, Any]:
        """The graph as a JSON/YAML-ready document."""
        return {
            "concepts": [
                {
                    "name": c.name,
                    "description": c.description,
                    "keywords": list(c.keywords),
                    "requires": list(c.requires),
                }
                for c in self.concepts.values()
            ]
        }

    def __repr__(self) -> str:
        return f"ConceptGraph({len(self)} concepts, max depth {self.max_depth})"


def example_value_graph() -> ConceptGraph:
    """The example value graph shipped with the package (``curriculum/data/values.yaml``)."""
    ref = resources.files("curriculum").joinpath("data/values.yaml")
    with resources.as_file(ref) as path:
        return ConceptGraph.load(path)


def load_graph(graph: ConceptGraph | str | os.PathLike[str]) -> ConceptGraph:
    """A concept graph: itself, a shipped one by name (``values``), or a ``.yaml``/``.json`` file.

    Raises:
        MissingFileError: ``graph`` names no shipped graph and no file exists there.
    """
    if isinstance(graph, ConceptGraph):
        return graph
    if isinstance(graph, str) and graph in SHIPPED_GRAPHS:
        return example_value_graph()
    if not isinstance(graph, (str, os.PathLike)):
        raise InvalidTypeError(
            f"graph must be a ConceptGraph, a shipped name {list(SHIPPED_GRAPHS)} or a path, "
            f"but got {type(graph).__name__}"
        )
    from pathlib import Path

    if not Path(graph).exists():
        raise MissingFileError(
            f"graph={os.fspath(graph)!r} is neither a shipped graph ({', '.join(SHIPPED_GRAPHS)}) "
            f"nor an existing .yaml/.json file (looked for {Path(graph).resolve()})"
        )
    return ConceptGraph.load(graph)
