"""One conversation and everything it needs: what the UI and the commands talk to.

A `ChatSession` owns the provider and its client, the tools with their policies and MCP
servers, the tool loop, the history and the recorder of each turn, and the token and cost
totals. It knows nothing of Textual: the app and `tuichat ask` both drive it, several can
live in one process, and what it has to tell the user outside the conversation (a server
that died, a write that failed) it hands to `on_note`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tuichat.config.profiles import DEMO_PROFILE
from tuichat.config.prompt_library import PromptLibrary, PromptSpec
from tuichat.config.provider import resolve_provider
from tuichat.config.settings import ConfigError, Settings
from tuichat.config.write import save_settings_changes
from tuichat.core.client import ChatClient
from tuichat.core.events import WireRecord
from tuichat.core.provider import Provider
from tuichat.core.text import counted
from tuichat.session.attachments import Attachment, image_names, typed_text, user_message
from tuichat.session.context import ConversationContext
from tuichat.session.conversation import Approver, Conversation, cut_short, stopped_short
from tuichat.session.events import Answer, AnswerStarted, Message, TurnBatch
from tuichat.session.options import Resume, SessionOptions
from tuichat.session.prompts import has_turns, set_system
from tuichat.session.provider import Endpoint, demo_endpoint, start_demo_server
from tuichat.session.recorder import TurnRecorder
from tuichat.session.tools import mcp_manager, server_problems, start_mcp_servers
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.branches import BranchTree
from tuichat.storage.errors import StorageError
from tuichat.storage.rows import StoredMessage
from tuichat.tools.policy import ToolPolicies
from tuichat.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from tuichat.demo.server import ChatServer
    from tuichat.tools.mcp_client import McpManager, ServerStatus

Severity = Literal["information", "warning", "error"]
LASTING = 8.0  # seconds a note that needs reading stays (a server that failed)
Replace = Literal["answer", "prompt"]  # what a turn replaces: the last answer, or the prompt too


@dataclass(frozen=True, slots=True)
class Note:
    """Something to tell the user outside the conversation (a toast, a line on stderr)."""

    message: str
    title: str = ""
    severity: Severity = "information"
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Tokens of a whole conversation, and what they cost where the model is priced."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None

    @property
    def total_tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


def usage_of(messages: Iterable[Message], settings: Settings, model: str) -> UsageTotals:
    """Prompt and completion tokens of these messages' answers, and their cost if priced.

    Args:
        messages: a conversation's messages (or some of them: one turn's).
        settings: where the prices are (`[prices."MODEL"]`).
        model: the model of answers that do not say which model wrote them.
    """
    prompt = completion = 0
    cost: float | None = None
    for message in messages:
        usage = message.get("usage") if message.get("role") == "assistant" else None
        if not isinstance(usage, dict):
            continue
        p, c = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        prompt, completion = prompt + p, completion + c
        price = settings.price_for(str(message.get("model") or model))
        if price is not None:
            cost = (cost or 0.0) + price.cost(p, c)
    return UsageTotals(prompt, completion, cost)


class ChatSession:
    """One conversation with one provider. Built by `tuichat.session.build_session`."""

    def __init__(
        self,
        *,
        settings: Settings,
        endpoint: Endpoint,
        conversation: Conversation,
        policies: ToolPolicies | None,
        history_path: Path | None,
        save: bool = True,
        resume: Resume = None,
        config_path: Path | None = None,
        welcome: str | None = None,
        problems: list[str] | None = None,
        demo_server: ChatServer | None = None,
        options: SessionOptions | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or SessionOptions()  # what it was built from
        self.environ: Mapping[str, str] = {} if environ is None else environ
        self.endpoint = endpoint
        self.conversation = conversation
        self.policies = policies
        self.history_path = history_path  # None: nothing is read or saved
        self.save = save  # False: the history is read (to continue), never written
        self.resume = resume
        self.config_path = config_path  # None: changes made in the app are not saved
        self.welcome = welcome
        self.problems = list(problems or [])  # start-up problems (user tools that did not load)
        self.history: AsyncHistory | None = None
        self.conversation_id: int | None = None
        self.mcp: McpManager | None = None
        self.on_note: Callable[[Note], None] = lambda note: None
        self._demo_server = demo_server
        self._mcp_starting: asyncio.Event | None = None  # set once MCP start-up is over
        self._tasks: set[asyncio.Task[Any]] = set()
        self._turns: set[asyncio.Task[Any]] = set()  # the tasks running a turn now
        self._last_answer: Answer | None = None  # the latest answer, with its stored ids
        # The user message of the turn made last, before it runs (the UI shows it at once).
        self.outgoing: Message | None = None
        self.prompts = PromptLibrary()  # the prompt library (the builder loads it)
        self.role: PromptSpec | None = None  # `--role`: its template makes the first message
        self.context = ConversationContext(self)  # what is left out, and summaries

    # -- what it talks to ----------------------------------------------------------------

    @property
    def client(self) -> ChatClient:
        """The connection to the provider."""
        return self.conversation.client

    @property
    def provider(self) -> Provider:
        """The endpoint and model answers come from."""
        return self.conversation.client.provider

    @property
    def demo(self) -> bool:
        """Whether the built-in demo model answers."""
        return self.endpoint.demo

    @property
    def tools(self) -> ToolRegistry | None:
        """The tools offered to the model (None: `--no-tools`)."""
        return self.conversation.tools

    @property
    def messages(self) -> list[Message]:
        """The conversation's messages, as sent (plus tuichat's own keys)."""
        return self.conversation.messages

    @property
    def turn_running(self) -> bool:
        """Whether a turn is running (its answer arriving, its tools running)."""
        return bool(self._turns)

    @property
    def approve(self) -> Approver | None:
        """Asks the user about calls whose policy is "ask" (None: such calls are refused)."""
        return self.conversation.approve

    @approve.setter
    def approve(self, approver: Approver | None) -> None:
        self.conversation.approve = approver

    def note(self, message: str, title: str = "", severity: Severity = "information") -> None:
        """Tell the user something outside the conversation."""
        self.on_note(Note(message, title, severity))

    # -- the history ---------------------------------------------------------------------

    async def open_history(self) -> None:
        """Open the history database (created when it is missing and the session saves).

        A read-only one is opened for reading: its turns are not saved ("Not saved" notes).

        Raises:
            StorageError: it is locked, corrupt or from a newer tuichat.
        """
        if self.history_path is not None and self.history is None:
            self.history = await AsyncHistory.open(
                self.history_path, create=self.save, fall_back_to_reading=True
            )

    async def reopen(self, which: Resume) -> list[StoredMessage] | None:
        """Continue a saved conversation: the last one, or the one with this id.

        Returns:
            Its messages as stored, or None when there is no such conversation.

        Raises:
            StorageError: the history could not be read.
        """
        history = self.history
        if history is None or which is None:
            return None
        cid = await history.last_conversation_id() if which == "last" else which
        if cid is None or await history.get_conversation(cid) is None:
            return None
        rows = await history.message_rows(cid, include_replaced=False)
        self.conversation_id = cid
        self.messages[:] = self.context.load(rows)
        last = rows[-1] if rows else None
        if last is not None and last.message.get("role") == "assistant":
            self._last_answer = Answer([last.message], [last.id])
        return rows

    def new_conversation(self) -> None:
        """Start afresh: the next prompt starts a new saved conversation (same system prompt)."""
        system = [m for m in self.messages[:1] if m.get("role") == "system"]
        self.messages[:] = system
        self.conversation_id = None
        self._last_answer = None
        self.context.forget()

    def use_prompt(self, spec: PromptSpec | None) -> bool:
        """Use this library prompt (None: no system prompt) from now on.

        A conversation that has turns stays as it was saved: a new one starts, with the
        prompt. Returns whether a new conversation started.
        """
        started = has_turns(self.messages)
        if started:
            self.new_conversation()
        set_system(self.messages, spec)
        return started

    async def saved_conversation(self) -> int | None:
        """The conversation's id in the history, its row created on the first turn.

        Returns:
            None when nothing is saved: no history, `--no-save`, or the row could not be
            written (a "Not saved" note says why).
        """
        history = self.history
        if history is None or not self.save:
            return None
        provider = self.provider
        try:
            if self.conversation_id is None:
                self.conversation_id = await history.create_conversation(
                    model=provider.model,
                    provider=provider.name,
                    messages=[m for m in self.messages[:1] if m.get("role") == "system"],
                )
        except StorageError as error:
            self.note(str(error), "Not saved", "error")
            return None
        return self.conversation_id

    async def _recorder(self, prompt: Message | None) -> TurnRecorder | None:
        """A recorder for the turn about to start (creating the conversation row at first)."""
        history = self.history
        conversation_id = await self.saved_conversation()
        if history is None or conversation_id is None:
            return None
        provider = self.provider
        recorder = TurnRecorder(
            history,
            conversation_id,
            self.messages,
            model=provider.model,
            provider=provider.name,
            save_raw_chunks=self.settings.history.save_raw_chunks,
            on_error=lambda error: self.note(str(error), "Not saved", "error"),
        )
        recorder.start_turn(prompt)
        return recorder

    # -- branches ------------------------------------------------------------------------

    async def branches(self) -> BranchTree | None:
        """The tree of the conversation's versions (None: nothing of it is saved).

        Raises:
            StorageError: the history could not be read.
        """
        if self.history is None or self.conversation_id is None:
            return None
        return await self.history.branch_tree(self.conversation_id)

    async def switch_branch(
        self, message_id: int, *, to_leaf: bool = True
    ) -> list[StoredMessage] | None:
        """Go on from another branch: another version of a message, or any message saved.

        The conversation's messages become the branch through the message (with `to_leaf`,
        on down the versions shown last with it; without, ending at it), so the next prompt
        continues from its end. The history remembers it as the branch shown, so reopening,
        `--continue` and `tuichat export` follow it. Call between turns.

        Returns:
            The branch's messages as stored (None: nothing of the conversation is saved).

        Raises:
            StorageError: no such message, or the history failed (a read-only history is
                switched in this session only, with a note).
        """
        history, conversation_id = self.history, self.conversation_id
        if history is None or conversation_id is None:
            return None
        if self.save:
            try:
                await history.switch_branch(conversation_id, message_id, to_leaf=to_leaf)
            except StorageError as error:
                if error.kind != "readonly":
                    raise
                self.note(str(error), "Not saved", "warning")
        rows = await history.branch_rows(conversation_id, message_id, to_leaf=to_leaf)
        self.messages[:] = self.context.load(rows)
        return rows

    async def add_sibling_answer(
        self,
        messages: Sequence[Message],
        *,
        model: str | None = None,
        raw_chunks: Sequence[Sequence[WireRecord] | None] = (),
        show: bool = False,
    ) -> list[int]:
        """Keep another answer to the last prompt beside the one shown (e.g. the answers of
        the models not kept when several answered one prompt): another version of it, which
        the chat screen's version keys and the tree view reach.

        Args:
            messages: the answer: its assistant message, then any tool results and later
                rounds.
            model: the model that wrote it (default: the session's).
            raw_chunks: the wire records of each message, in order.
            show: make it the answer shown: the conversation's messages follow it.

        Returns:
            The new messages' ids (empty when the conversation is not saved).

        Raises:
            StorageError: there is no prompt, or the history failed.
        """
        history, conversation_id = self.history, self.conversation_id
        if history is None or conversation_id is None or not self.save:
            return []
        ids = await history.add_sibling_answer(
            conversation_id,
            list(messages),
            model=model or self.provider.model,
            provider=self.provider.name,
            raw_chunks=raw_chunks,
            show=show,
        )
        if show:
            rows = await history.message_rows(conversation_id, include_replaced=False)
            self.messages[:] = self.context.load(rows)
        return ids

    # -- turns ---------------------------------------------------------------------------

    def send(self, text: str, attachments: Sequence[Attachment] = ()) -> AsyncIterator[TurnBatch]:
        """A turn that sends a new prompt (with the files attached to it); iterate it to run it."""
        self.outgoing = user_message(text, attachments)
        return self._turn(self.outgoing, None)

    def last_prompt(self) -> str | None:
        """The text of the last prompt as typed (without its attachments), if any."""
        index = self._last_user_index()
        if index is None:
            return None
        return typed_text(self.messages[index])

    def regenerate(self) -> AsyncIterator[TurnBatch] | None:
        """A turn that asks for the last answer again; None when there is no prompt yet.

        The last answer leaves the conversation now; the history keeps it, marked replaced.
        """
        index = self._last_user_index()
        if index is None:
            return None
        del self.messages[index + 1 :]
        return self._turn(None, "answer")

    def resend(self, text: str, attachments: Sequence[Attachment] = ()) -> AsyncIterator[TurnBatch]:
        """A turn that sends an edited last prompt in place of the last one and its answer.

        The files the last prompt attached go again, as they were sent; `attachments` adds
        those the edited text names anew.
        """
        index = self._last_user_index()
        if index is None:
            return self.send(text, attachments)
        self.outgoing = user_message(text, attachments, self.messages[index])
        del self.messages[index:]
        return self._turn(self.outgoing, "prompt")

    def refused_images(self) -> str | None:
        """What to tell the user when the server refused the last prompt, which sent images
        (many models and servers take no images); None otherwise."""
        index = self._last_user_index()
        if index is None or index != len(self.messages) - 2:
            return None
        images = image_names(self.messages[index])
        error = self.messages[-1].get("error")
        if not images or not isinstance(error, dict) or error.get("kind") != "http":
            return None
        return (
            f"The server refused the prompt with the image{'s' if len(images) > 1 else ''} "
            f"{', '.join(images)} ({self.provider.model} may not take images): "
            f"{error.get('message') or 'no reason given'}"
        )

    def stopped_short(self) -> str | None:
        """Why the last answer stopped before its end (a stall, a drop, the length limit, a
        cancel), text or not: then asking again (`regenerate`) is offered as Retry."""
        return stopped_short(self.messages[-1]) if self.messages else None

    def cut_answer(self) -> str | None:
        """Why the last answer stopped short, if it can be continued (`continue_answer`):
        "stalled", "dropped", "cut short", "too long" or "cancelled"; None otherwise."""
        return cut_short(self.messages[-1]) if self.messages else None

    def continue_answer(self) -> AsyncIterator[TurnBatch] | None:
        """A turn that has the model go on with the last answer, cut short; None when the
        last answer was not (see `cut_answer`).

        The continuation is appended to the same answer, in the conversation and in the
        history (its row is updated, its wire records kept with the continuation's after
        them).
        """
        if self.cut_answer() is None:
            return None
        message = self.messages[-1]
        answer = self._last_answer
        if answer is None or answer.message is not message:
            answer = Answer([message])  # not saved (or saved by another session)
        return self._turn(None, None, continuing=answer)

    def _last_user_index(self) -> int | None:
        for index in range(len(self.messages) - 1, -1, -1):
            message = self.messages[index]
            if message.get("role") == "user" and "summary" not in message:
                return index
        return None

    async def _turn(
        self, prompt: Message | None, replace: Replace | None, continuing: Answer | None = None
    ) -> AsyncIterator[TurnBatch]:
        if replace is not None:
            await self._replace_saved(replace)
        await self.tools_ready()
        recorder = await self._recorder(prompt)
        conversation = self.conversation
        if continuing is not None:
            if recorder is not None:
                recorder.continued_wire = await self._saved_wire(continuing)
            events = conversation.continue_answer(continuing)
        elif prompt is not None:
            events = conversation.send(prompt)
        else:
            events = conversation.run_turn()
        task = asyncio.current_task()
        if task is not None:
            self._turns.add(task)
        try:
            async for batch in events:
                if recorder is not None:
                    recorder.observe(batch)
                for event in batch:
                    if isinstance(event, AnswerStarted):
                        self._last_answer = event.answer
                yield batch
        finally:
            if recorder is not None:
                recorder.end()  # after a cancel: saves what arrived, marked cancelled
                await asyncio.shield(recorder.flush())
            if task is not None:
                self._turns.discard(task)

    async def _saved_wire(self, answer: Answer) -> list[WireRecord]:
        """The wire records saved with an answer (kept before its continuation's)."""
        history, stored = self.history, answer.stored_id
        if history is None or stored is None or not self.settings.history.save_raw_chunks:
            return []
        try:
            return await history.load_wire_records(stored)
        except StorageError:
            return []  # the continuation's own records are still saved

    async def _replace_saved(self, replace: Replace) -> None:
        if self.history is None or self.conversation_id is None or not self.save:
            return
        try:
            await self.history.replace_last_answer(
                self.conversation_id, include_prompt=replace == "prompt"
            )
        except StorageError as error:
            self.note(str(error), "Not saved", "error")

    def usage(self) -> UsageTotals:
        """Prompt and completion tokens of the whole conversation, and its cost if priced."""
        return usage_of(self.messages, self.settings, self.provider.model)

    # -- tools ---------------------------------------------------------------------------

    @property
    def mcp_configured(self) -> bool:
        """Whether MCP servers are to be started (tools on, and at least one enabled)."""
        servers = any(server.enabled for server in self.settings.mcp.servers)
        return servers and self.tools is not None

    @property
    def mcp_started(self) -> bool:
        """Whether MCP start-up is over (its problems were told at once; later ones are news)."""
        return self._mcp_starting is not None and self._mcp_starting.is_set()

    async def start_tools(self) -> None:
        """Start the configured MCP servers; return when each is ready or has failed.

        Start-up problems come in one note, and so do the servers that are ready; a server
        that dies later gets a note of its own.
        """
        tools = self.tools
        if tools is None or not self.mcp_configured or self._mcp_starting is not None:
            return
        self._mcp_starting = asyncio.Event()
        try:
            # Kept before starting: closing the session during start-up still stops them.
            self.mcp = mcp_manager(tools, self.settings, on_status=self._mcp_changed)
            if self.mcp is not None:
                await start_mcp_servers(self.mcp, tools, self.settings)
        finally:
            self._mcp_starting.set()
        if self.mcp is None:
            return
        statuses = self.mcp.statuses()
        problems = server_problems(statuses)
        ready = [
            f"{name} ({counted(len(s.tools), 'tool')})"
            for name, s in statuses.items()
            if s.state == "ready"
        ]
        if problems:
            self.on_note(Note("\n".join(problems), "MCP servers", "warning", LASTING))
        elif ready:
            self.note("Ready: " + ", ".join(ready), "MCP servers")

    async def tools_ready(self) -> None:
        """Wait until the MCP servers started at launch are ready or have failed."""
        starting = self._mcp_starting
        if starting is not None and not starting.is_set():
            timeout = self.settings.mcp.start_timeout
            self.note(
                f"Waiting for the MCP servers to start (at most {timeout:g} s)…", "MCP servers"
            )
            await starting.wait()

    def _mcp_changed(self, name: str, status: ServerStatus) -> None:
        if self.mcp_started and status.state == "failed":
            message = (
                f"MCP server {name!r} stopped: {status.reason or 'no reason given'}. Its tools "
                "are withdrawn; the conversation goes on."
            )
            self.on_note(Note(message, "MCP server", "error", LASTING))

    def mcp_statuses(self) -> dict[str, ServerStatus]:
        """Each configured MCP server's status (empty without servers)."""
        return self.mcp.statuses() if self.mcp is not None else {}

    def toggle_tool(self, name: str) -> bool | None:
        """Offer a tool to the model or stop offering it; saved as `[tools] disabled`.

        Returns:
            Whether it is offered now; None when there is no such tool.
        """
        tools = self.tools
        if tools is None or name not in tools:
            return None
        tools.set_enabled(name, not tools.is_enabled(name))
        disabled = [tool for tool in tools.names() if not tools.is_enabled(tool)]
        self.save_setting({"tools": {"disabled": disabled}})
        return tools.is_enabled(name)

    def always_run(self, name: str) -> None:
        """Run a tool without asking from now on; saved as `[tools.policy] NAME = "run"`."""
        if self.policies is not None:
            self.policies.set(name, "run")
        self.save_setting({"tools": {"policy": {name: "run"}}})

    # -- the provider --------------------------------------------------------------------

    def switch_profile(self, name: str, environ: Mapping[str, str]) -> Provider:
        """Talk to another provider profile from now on (the conversation goes on); saved.

        Raises:
            ConfigError: there is no such profile.
        """
        if name == DEMO_PROFILE:
            endpoint = demo_endpoint(self.settings)
            if self._demo_server is None:
                self._demo_server = start_demo_server(endpoint.provider)
            else:
                endpoint.provider.base_url = self._demo_server.base_url
        else:
            endpoint = Endpoint(resolve_provider(self.settings, name, {}, environ), False, name)
        provider = endpoint.provider
        old = self.conversation.client
        self.conversation.client = ChatClient(provider)
        self.endpoint = endpoint
        self._spawn(old.aclose())
        self.save_setting({"profile": name})
        return provider

    def set_model(self, model: str) -> bool:
        """Ask another model from now on; saved in the profile in use, if there is one.

        Returns:
            Whether it was saved (the demo and a base URL of the command line have no profile).
        """
        self.provider.model = model
        profile = self.endpoint.profile
        if profile is None:
            return False
        self.save_setting({"profiles": {profile: {"model": model}}})
        return self.config_path is not None

    # -- settings and lifetime -----------------------------------------------------------

    def save_setting(self, changes: dict[str, Any]) -> None:
        """Write a change made while running back to the config file (off the event loop)."""
        if self.config_path is not None:
            self._spawn(self._save(self.config_path, changes))

    async def _save(self, path: Path, changes: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(save_settings_changes, path, changes)
        except ConfigError as error:
            self.note(str(error), "Setting not saved", "warning")

    async def settled(self) -> None:
        """Wait for the writes started in the background (settings, closing old clients)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Stop the turn still running (what arrived is saved), the MCP servers; close the
        client and the history; stop the demo server."""
        running = [task for task in self._turns if task is not asyncio.current_task()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
        await self.settled()
        if self.mcp is not None:
            await self.mcp.aclose()  # stdio servers get their stdin closed, then are stopped
        await self.client.aclose()
        if self.history is not None:
            await self.history.aclose()
            self.history = None
        if self._demo_server is not None:
            server, self._demo_server = self._demo_server, None
            await asyncio.to_thread(server.stop)
