"""The tree of a conversation's versions: which messages are versions of one another, which
branch is shown, and where stepping to another version leads.

Every message row keeps the message it followed when it was written (`parent_id`), so a
regenerated answer and the answer it replaced have the same parent (the prompt), and so do
an edited prompt and the prompt it replaced: messages with one parent are *versions* of one
another. A *branch* is a path from the first message to a message nothing follows (a leaf);
branches are numbered 1, 2, ... in the order the tree view lists them (depth first, each
message's versions in the order they were written).

The branch shown is the messages not marked replaced (`replaced IS NULL`), one path from the
root: that is what `load_messages` returns, what `--continue` reopens and what `export`
writes. A message that left the branch shown keeps the time it left (`replaced`), so that
stepping back to it follows, below it, the versions that were shown with it last.

Nothing here touches a connection: the store reads the nodes (`BRANCH_NODE_SELECT`) and
writes the flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tuichat.storage.rows import BranchNode


@dataclass(frozen=True, slots=True)
class Branch:
    """One path of the tree, from the first message to a leaf.

    Attributes:
        number: its number, 1 first (the tree view's order, top to bottom).
        leaf: the id of its last message.
        path: its message ids, first to last.
        shown: whether it is the branch shown (its leaf ends the conversation shown).
    """

    number: int
    leaf: int
    path: tuple[int, ...]
    shown: bool


class BranchTree:
    """A conversation's messages as a tree of versions.

    Args:
        nodes: every message of the conversation (replaced ones too), in any order.
    """

    def __init__(self, nodes: Iterable[BranchNode]) -> None:
        ordered = sorted(nodes, key=lambda node: node.position)
        self.nodes: dict[int, BranchNode] = {node.id: node for node in ordered}
        self._children: dict[int | None, list[int]] = {}
        for node in ordered:
            parent = node.parent_id if node.parent_id in self.nodes else None
            self._children.setdefault(parent, []).append(node.id)
        self.shown: tuple[int, ...] = tuple(node.id for node in ordered if node.live)
        """The ids of the conversation shown, first to last."""
        self._branches: list[Branch] | None = None

    def __contains__(self, message_id: object) -> bool:
        return message_id in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def children(self, message_id: int | None) -> list[int]:
        """The messages that follow one (None: the first messages), oldest first."""
        return list(self._children.get(message_id, ()))

    def parent(self, message_id: int) -> int | None:
        """The message this one follows (None for a first message)."""
        parent = self.nodes[message_id].parent_id
        return parent if parent in self.nodes else None

    def versions(self, message_id: int) -> list[int]:
        """This message and its other versions (the messages with its parent), oldest first."""
        return self.children(self.parent(message_id))

    def path_to(self, message_id: int) -> list[int]:
        """The messages from the first one down to this one."""
        path = [message_id]
        parent = self.parent(message_id)
        while parent is not None:
            path.append(parent)
            parent = self.parent(parent)
        return path[::-1]

    def latest_child(self, message_id: int | None) -> int | None:
        """The version below a message that was shown last (None: nothing follows it).

        The one shown now if there is one; else the one that left the branch shown last
        (the newest written, when that does not tell).
        """
        children = [self.nodes[child] for child in self.children(message_id)]
        if not children:
            return None
        live = [child for child in children if child.live]
        if live:
            return live[0].id
        return max(children, key=lambda child: (child.replaced_at or 0.0, child.position)).id

    def latest_leaf(self, message_id: int) -> int:
        """The end of the branch below a message that was shown last."""
        child = self.latest_child(message_id)
        while child is not None:
            message_id = child
            child = self.latest_child(message_id)
        return message_id

    def path_through(self, message_id: int, *, to_leaf: bool = True) -> list[int]:
        """The branch that shows this message: the path to it, then (with `to_leaf`) on down
        the versions shown last below it; without, the conversation ends at it."""
        end = self.latest_leaf(message_id) if to_leaf else message_id
        return self.path_to(end)

    def branches(self) -> list[Branch]:
        """Every branch, in the tree view's order (depth first, older versions first)."""
        if self._branches is None:
            shown_end = self.shown[-1] if self.shown else None
            self._branches = [
                Branch(number, leaf, tuple(self.path_to(leaf)), leaf == shown_end)
                for number, leaf in enumerate(self._leaves(), start=1)
            ]
        return self._branches

    def _leaves(self) -> Iterator[int]:
        # Iterative: a conversation of thousands of messages is a chain that deep.
        stack = self.children(None)[::-1]
        while stack:
            message_id = stack.pop()
            children = self.children(message_id)
            if not children:
                yield message_id
            stack.extend(reversed(children))

    def branch(self, number: int) -> Branch | None:
        """The branch with this number (None when there is none)."""
        branches = self.branches()
        return branches[number - 1] if 1 <= number <= len(branches) else None

    def shown_branch(self) -> Branch | None:
        """The branch shown, when the conversation shown ends at a leaf (it may end earlier,
        after "continue from here")."""
        return next((branch for branch in self.branches() if branch.shown), None)

    def branch_of(self, message_id: int) -> Branch | None:
        """The branch this message leads to (its latest leaf's)."""
        leaf = self.latest_leaf(message_id)
        return next((branch for branch in self.branches() if branch.leaf == leaf), None)

    def fork_depth(self, branch: Branch) -> int | None:
        """Where a branch differs: the index in its path of its last message that has other
        versions (None: it has no alternative anywhere)."""
        for index in range(len(branch.path) - 1, -1, -1):
            if len(self.versions(branch.path[index])) > 1:
                return index
        return None
