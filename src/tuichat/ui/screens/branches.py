"""The tree of a conversation's branches: one node per version of each message.

A run of messages with no other versions is one column of nodes; where a message has
several versions (a regenerated answer, an edited prompt), each version is a node of its own
under the message before them, with what follows it inside. The branch shown is in bold,
each leaf says its branch number (the one `tuichat export --branch N` takes). Enter opens
the branch through the node (the conversation then goes on from its end), `c` continues from
the node itself (the conversation ends there), `d` compares its versions as a word diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tuichat.core.text import counted
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.branches import BranchTree
from tuichat.storage.errors import StorageError
from tuichat.ui.screens.version_diff import show_version_diff

PREVIEW = 100  # characters of a message's first line in its node
ROLES = {"system": "system", "user": "you", "assistant": "answer", "tool": "tool"}


@dataclass(frozen=True, slots=True)
class BranchChoice:
    """A message picked in the tree.

    Attributes:
        message_id: the message.
        to_leaf: open the branch through it, on to the end shown last with it (else the
            conversation ends at the message, to be continued from there).
    """

    message_id: int
    to_leaf: bool = True


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What a node of the tree shows."""

    message_id: int
    role: str
    preview: str
    shown: bool  # on the branch shown
    place: tuple[int, int] | None  # (n, of) among its versions, when it has others
    branch: int | None  # the branch number, for a leaf
    model: str | None


class BranchTreeView(Tree[NodeInfo]):
    """The tree widget: labels drawn from each node's data, in theme styles (never markup)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "branch-tree--shown",
        "branch-tree--other",
        "branch-tree--place",
        "branch-tree--role",
    }

    DEFAULT_CSS = """
    BranchTreeView > .branch-tree--shown { text-style: bold; }
    BranchTreeView > .branch-tree--other { color: $text-muted; }
    BranchTreeView > .branch-tree--place { color: $accent; text-style: bold; }
    BranchTreeView > .branch-tree--role { color: $text-secondary; }
    """

    def render_label(self, node: TreeNode[NodeInfo], base_style: Style, style: Style) -> Text:
        info = node.data
        if info is None:
            return super().render_label(node, base_style, style)
        styles = self.get_component_rich_style
        tone = styles("branch-tree--shown" if info.shown else "branch-tree--other")
        parts: list[tuple[str, Style] | str] = []
        parts.append(("● " if info.shown else "○ ", tone))
        if info.place is not None:
            parts.append((f"{info.place[0]}/{info.place[1]} ", styles("branch-tree--place")))
        parts.append((f"{ROLES.get(info.role, info.role)}  ", styles("branch-tree--role")))
        if info.branch is not None:  # before the text, which the panel's edge may cut
            tag = f"branch {info.branch}" + (" · shown" if info.shown else "")
            parts.append((f"[{tag}]  ", styles("branch-tree--place")))
        preview = info.preview if len(info.preview) <= PREVIEW else info.preview[:PREVIEW] + "…"
        parts.append((preview or "(empty)", tone))
        label = Text.assemble(*parts)
        label.stylize(style)
        if node.allow_expand:
            icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            return Text.assemble((icon, base_style), label)
        return label


def fill_tree(view: Tree[NodeInfo], tree: BranchTree) -> TreeNode[NodeInfo] | None:
    """Add the conversation's messages to the tree widget.

    Returns:
        The node of the message the conversation shown ends at (for the cursor).
    """
    leaves = {branch.leaf: branch.number for branch in tree.branches()}
    shown_end = tree.shown[-1] if tree.shown else None
    found: TreeNode[NodeInfo] | None = None

    def info(message_id: int) -> NodeInfo:
        node = tree.nodes[message_id]
        versions = tree.versions(message_id)
        place = (versions.index(message_id) + 1, len(versions)) if len(versions) > 1 else None
        return NodeInfo(
            message_id,
            node.role,
            node.preview,
            node.live,
            place,
            leaves.get(message_id),
            node.model,
        )

    # (where its node goes, the message, whether it heads a version: what follows it nests
    # under it). Iterative: a long conversation is a chain thousands of messages long.
    def add(container: TreeNode[NodeInfo], message_id: int, heads: bool) -> TreeNode[NodeInfo]:
        # A node that holds others (the versions after it, or what follows a version)
        # can fold; the rest are leaves of the widget. The label is drawn by render_label.
        children = len(tree.children(message_id))
        data = info(message_id)
        if children > 1 or (heads and children):
            return container.add(data.preview, data=data, expand=True)
        return container.add_leaf(data.preview, data=data)

    roots = tree.children(None)
    stack = [(view.root, message_id, len(roots) > 1) for message_id in reversed(roots)]
    while stack:
        container, message_id, heads = stack.pop()
        added = add(container, message_id, heads)
        if heads:
            container = added
        while True:
            if message_id == shown_end:
                found = added
            children = tree.children(message_id)
            if len(children) != 1:
                break
            message_id = children[0]
            added = add(container, message_id, False)
        stack.extend((added, child, True) for child in reversed(children))
    return found


class BranchScreen(ModalScreen[BranchChoice | None]):
    """A conversation's branches as a tree: open one, continue from a message, compare."""

    CSS_PATH = "branches.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="branches_close"),
        Binding("c", "continue_here", "Continue from here", id="branches_continue"),
        Binding("d", "compare", "Compare versions", id="branches_compare"),
    ]

    def __init__(self, history: AsyncHistory, conversation_id: int, *, busy: bool = False) -> None:
        """Show the tree.

        Args:
            history: where the conversation is.
            conversation_id: the conversation.
            busy: an answer is arriving in it (no other branch can be shown meanwhile).
        """
        super().__init__()
        self.history = history
        self.conversation_id = conversation_id
        self.busy = busy
        self.branches: BranchTree | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="branches-panel"):
            yield Static(Content("Branches"), id="branches-title")
            yield BranchTreeView("conversation", id="branch-tree")
            yield Static(
                "Enter open the branch · c continue from this message · d compare its "
                "versions · Esc close",
                id="branches-hint",
            )

    def on_mount(self) -> None:
        view = self.query_one(BranchTreeView)
        view.show_root = False
        view.auto_expand = False  # Enter opens the branch; space and clicks fold
        view.guide_depth = 3
        view.focus()
        self.load()

    @work(exclusive=True, group="branches", exit_on_error=False)
    async def load(self) -> None:
        """Read the tree and draw it, the cursor on the end of the conversation shown."""
        try:
            summary = await self.history.get_conversation(self.conversation_id)
            tree = await self.history.branch_tree(self.conversation_id)
        except StorageError as error:
            self.notify(str(error), title="History not available", severity="error")
            return
        self.branches = tree
        view = self.query_one(BranchTreeView)
        view.clear()
        found = fill_tree(view, tree)
        view.root.expand()
        count = len(tree.branches())
        shown = tree.shown_branch()
        where = f" · branch {shown.number} shown" if shown is not None else ""
        self.query_one("#branches-title", Static).update(
            Content.assemble(
                ("Branches of ", "bold"),
                summary.title if summary is not None else f"conversation {self.conversation_id}",
                (f"  {counted(count, 'branch', 'branches')}{where}", "$text-muted"),
            )
        )
        if found is not None:  # once its lines are laid out (a node's line is known then)
            view.call_after_refresh(view.move_cursor, found)

    def _highlighted(self) -> NodeInfo | None:
        node = self.query_one(BranchTreeView).cursor_node
        return node.data if node is not None else None

    def _choose(self, info: NodeInfo, *, to_leaf: bool) -> None:
        if self.busy:
            self.notify("An answer is arriving: Esc cancels it first.", severity="warning")
            return
        self.dismiss(BranchChoice(info.message_id, to_leaf))

    @on(Tree.NodeSelected, "#branch-tree")
    def _selected(self, event: Tree.NodeSelected[NodeInfo]) -> None:
        event.stop()
        if event.node.data is not None:
            self._choose(event.node.data, to_leaf=True)

    def action_continue_here(self) -> None:
        """Show the conversation up to the highlighted message; the next prompt goes on from it."""
        info = self._highlighted()
        if info is not None:
            self._choose(info, to_leaf=False)

    async def action_compare(self) -> None:
        """Compare the highlighted message's versions as a word diff."""
        info = self._highlighted()
        if info is not None:
            await show_version_diff(self, self.history, self.conversation_id, info.message_id)
