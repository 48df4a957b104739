"""Reading YAML that users bring (study configs, valence maps): plain data only, no duplicate
keys, and no document whose aliases expand past :data:`MAX_YAML_NODES` nodes ("billion laughs").
"""

from __future__ import annotations

from typing import Any

import yaml

#: The most nodes a document may hold once its aliases are expanded (a real study config has
#: hundreds).
MAX_YAML_NODES = 100_000


class _SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys (naming the line) and documents whose
    aliases expand past :data:`MAX_YAML_NODES` nodes ("billion laughs") or into themselves."""

    def construct_mapping(self, node, deep=False):  # noqa: D102
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YamlDocumentError(
                        f"duplicate key {key!r} (line {line}; first at line {seen[key]})"
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class YamlDocumentError(Exception):
    """A problem of the YAML document itself (not of the data it describes)."""


def _expanded_size(root: yaml.Node | None, limit: int) -> int:
    """The number of nodes of ``root`` with every alias expanded, stopping past ``limit``;
    shared nodes are counted once per use (memoised, so the walk is linear in the document)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YamlDocumentError("an alias refers to the node that contains it")
        active.add(key)
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        active.discard(key)
        if total > limit:
            raise YamlDocumentError(
                f"its aliases expand to more than {limit} values; a config or map is far smaller "
                "(nested aliases?)"
            )
        sizes[key] = total
        return total

    return 0 if root is None else size(root)


def read_yaml(text: str, limit: int = MAX_YAML_NODES) -> Any:
    """Parse one YAML document safely: plain data only (``SafeLoader``), no duplicate keys, at
    most ``limit`` nodes after alias expansion. Raises ``yaml.YAMLError`` for syntax and
    :class:`YamlDocumentError` for the rest."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        _expanded_size(node, limit)
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


__all__ = ["MAX_YAML_NODES", "YamlDocumentError", "read_yaml"]
