"""The chat screen's keys: the screen's, and the first frame's footer, which shows the same.

Apart from the chat screen, so that the first frame (`tuichat.ui.screens.starting`) can show
them before the screen's module is loaded. Each binding's id is its action's name: `[keys]` in
the config file remaps by id.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

CHAT_BINDINGS: list[BindingType] = [
    # After an answer cut short (a stall, a drop, the length limit, a cancel) Ctrl+R is
    # "Retry" (the same as regenerate, below) and Ctrl+O continues the answer: first, so
    # that the footer shows them then, however narrow.
    Binding("ctrl+r", "retry_answer", "Retry", id="retry_answer"),
    Binding("ctrl+o", "continue_answer", "Continue", id="continue_answer"),
    Binding("f2", "toggle_inspector", "Inspector", id="toggle_inspector"),
    Binding(
        "alt+up",
        "inspect_answer(-1)",
        "Inspect the previous answer",
        show=False,
        priority=True,
        id="inspect_previous",
    ),
    Binding(
        "alt+down",
        "inspect_answer(1)",
        "Inspect the next answer",
        show=False,
        priority=True,
        id="inspect_next",
    ),
    # Esc while an answer arrives cancels it, while the last prompt is edited leaves the
    # edit; each shows in the footer only then.
    Binding("escape", "cancel", "Cancel answer", priority=True, id="cancel"),
    Binding("escape", "stop_editing", "Leave the edit", priority=True, id="stop_editing"),
    Binding("pageup", "page_up", "Page up", show=False, priority=True, id="page_up"),
    Binding("pagedown", "page_down", "Page down", show=False, priority=True, id="page_down"),
    Binding("ctrl+home", "scroll_top", "Top", show=False, priority=True, id="scroll_top"),
    Binding("ctrl+end", "scroll_bottom", "Jump to latest", priority=True, id="scroll_bottom"),
    Binding("f1", "app.toggle_help", "Help", id="toggle_help"),
    Binding("f3", "pick_model", "Model", id="pick_model"),
    Binding("f5", "show_tools", "Tools", id="show_tools"),
    # F6 is also the prompt's "select line" (a TextArea's): comparing wins.
    Binding(
        "f6",
        "compare_models",
        "Compare models…",
        show=False,
        priority=True,
        id="compare_models",
    ),
    # F7 is also the prompt's "select all" (a TextArea's): choosing a prompt wins.
    Binding("f7", "pick_prompt", "Choose a prompt…", show=False, priority=True, id="pick_prompt"),
    Binding("ctrl+y", "copy_answer", "Copy answer", priority=True, id="copy_answer"),
    # Priority: ESC a also carries the character "a", which the prompt would type.
    Binding("alt+a", "attach_file", "Attach a file…", show=False, priority=True, id="attach_file"),
    Binding("alt+y", "copy_code", "Copy code block", show=False, priority=True, id="copy_code"),
    Binding("f4", "show_history", "Conversations", show=False, id="show_history"),
    Binding("ctrl+f", "search_history", "Search history", show=False, id="search_history"),
    Binding("ctrl+n", "new_conversation", "New conversation", show=False, id="new_conversation"),
    Binding("ctrl+r", "regenerate", "Regenerate answer", show=False, id="regenerate"),
    # Versions (a regenerated answer, an edited prompt). Ctrl+Left/Right are also the
    # prompt's word moves: these act only on an empty prompt.
    Binding(
        "ctrl+left",
        "step_version(-1)",
        "Previous version",
        show=False,
        priority=True,
        id="previous_version",
    ),
    Binding(
        "ctrl+right",
        "step_version(1)",
        "Next version",
        show=False,
        priority=True,
        id="next_version",
    ),
    Binding(
        "ctrl+up",
        "select_versions(-1)",
        "Select the message with versions above",
        show=False,
        priority=True,
        id="versions_above",
    ),
    Binding(
        "ctrl+down",
        "select_versions(1)",
        "Select the message with versions below",
        show=False,
        priority=True,
        id="versions_below",
    ),
    # Priority, as the prompt (a TextArea) would type the d of Alt+D.
    Binding(
        "alt+d",
        "compare_versions",
        "Compare versions",
        show=False,
        priority=True,
        id="compare_versions",
    ),
    Binding("f8", "show_branches", "Branches", show=False, priority=True, id="show_branches"),
    Binding(
        "f9",
        "show_context",
        "Context: leave out or summarise messages…",
        show=False,
        priority=True,
        id="show_context",
    ),
    # Tabs: the app's; shown in the footer while more than one is open (check_action).
    Binding("ctrl+t", "app.new_tab", "New tab", priority=True, id="new_tab"),
    Binding("alt+w", "app.close_tab", "Close tab", priority=True, id="close_tab"),
    Binding("ctrl+pagedown,alt+right", "app.next_tab", "Next tab", priority=True, id="next_tab"),
    Binding(
        "ctrl+pageup,alt+left",
        "app.previous_tab",
        "Previous tab",
        priority=True,
        id="previous_tab",
    ),
    # ctrl+e is also the prompt's "line end": this one acts only on an empty prompt.
    Binding(
        "ctrl+e",
        "edit_last_prompt",
        "Edit last prompt",
        show=False,
        priority=True,
        id="edit_last_prompt",
    ),
]

SHOWN_LATER = frozenset(
    {
        "cancel",
        "stop_editing",
        "retry_answer",
        "continue_answer",
        "app.close_tab",
        "app.next_tab",
        "app.previous_tab",
    }
)
"""Keys of the footer that a new conversation's screen does not show yet (an answer arriving,
an edit, an answer cut short, several tabs): the first frame leaves them out too."""
