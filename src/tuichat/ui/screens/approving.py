"""Asking the user whether tool calls may run, from the chat screen (the session's approver).

Awaited by the tool loop in the completion worker: the modal (`tool_approval.ApprovalScreen`)
resolves the future. A hidden tab asks when it is shown (or shows itself, if the config says
so); cancelling the turn cancels the wait and closes the modal.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message

from tuichat.ui.screens.chat_part import ChatScreenPart
from tuichat.ui.screens.tool_approval import ApprovalResult, ApprovalScreen, PendingCall
from tuichat.ui.tab_messages import ShowMe
from tuichat.ui.widgets.tab_bar import TabState

if TYPE_CHECKING:
    from tuichat.ui.turn_view import TurnView


class ChatScreen(ChatScreenPart, Protocol):
    """What of the chat screen asking for approval uses (the screen imports this module)."""

    turn: TurnView | None
    tab_id: str
    shown_now: asyncio.Event

    def post_message(self, message: Message) -> bool: ...

    def tell_tab(self, state: TabState | None = None, title: str | None = None) -> None: ...


async def ask_approval(chat: ChatScreen, calls: list[dict[str, Any]]) -> list[bool]:
    """Ask the user whether these calls may run (the conversation's approver).

    Awaited by the tool loop in the completion worker: the modal resolves the future.
    Cancelling the turn cancels the wait (and closes the modal).
    """
    answer = chat.turn.answer if chat.turn is not None else None
    views = [
        answer.call_with_id(str(call.get("id") or "")) if answer is not None else None
        for call in calls
    ]
    for view in views:
        if view is not None:
            view.set_waiting()
    tools = chat.session.tools
    pending = []
    for call in calls:
        function = call.get("function") or {}
        name = str(function.get("name") or "")
        tool = tools.get(name) if tools is not None else None
        source = tool.source if tool is not None else "unknown tool"
        arguments = str(function.get("arguments") or "")
        pending.append(PendingCall(str(call.get("id") or ""), name, source, arguments))
    if not chat.shown_now.is_set():
        # A hidden tab asks when it is shown (or shows itself, if the config says so).
        chat.tell_tab("approval")
        if chat.session.settings.approve_in_hidden_tabs == "show":
            chat.post_message(ShowMe(chat.tab_id))
        await chat.shown_now.wait()
    decision: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()

    def decided(result: ApprovalResult | None) -> None:
        result = result or ApprovalResult.deny_all(len(pending))
        for name in sorted(result.always):
            chat.session.always_run(name)
            chat.notify(
                f"Tool {name}: runs without asking from now on ([tools.policy] in the config)."
            )
        for view, approved in zip(views, result.approved, strict=False):
            if view is not None and approved and view.state == "waiting":
                view.set_approved()
        if not decision.done():
            decision.set_result(list(result.approved))

    chat.app.push_screen(ApprovalScreen(pending), decided)
    return await decision
