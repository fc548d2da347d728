"""The Textual application: a thin layer of screens and widgets over the core."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tuichat.config.settings import ConfigError, Settings, save_settings_changes
from tuichat.config.theme_files import ThemeSpec
from tuichat.core.conversation import Conversation
from tuichat.storage.async_history import AsyncHistory
from tuichat.storage.db import StorageError
from tuichat.storage.recorder import TurnRecorder
from tuichat.storage.rows import StoredMessage
from tuichat.tools.setup import ToolPolicies
from tuichat.ui.screens.chat import ChatScreen
from tuichat.ui.themes import register_all

if TYPE_CHECKING:
    from tuichat.tools.mcp_client import McpManager, ServerStatus


class TuichatApp(App[None]):
    """tuichat's full-screen app. Everything it talks to is passed in, so tests substitute it."""

    CSS_PATH = "app.tcss"
    TITLE = "tuichat"

    def __init__(
        self,
        conversation: Conversation,
        *,
        subtitle: str | None = None,
        welcome: str | None = None,
        demo: bool = False,
        history_path: Path | None = None,
        resume: int | Literal["last"] | None = None,
        save_raw_chunks: bool = True,
        settings: Settings | None = None,
        theme_specs: Mapping[str, ThemeSpec] | None = None,
        theme: str | None = None,
        config_path: Path | None = None,
        notices: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.config_path = config_path  # None: theme changes are not saved (tests)
        self._start_theme = theme
        self._theme_applied = False
        self._theme_specs = dict(theme_specs or {})
        self._notices = list(notices)
        if self.settings.keys:
            self.set_keymap(dict(self.settings.keys))
        self.conversation = conversation
        self.demo = demo
        self.history_path = history_path  # None: nothing is saved (tests, benchmarks)
        self.history: AsyncHistory | None = None
        self.conversation_id: int | None = None
        self.resume = resume
        self.save_raw_chunks = save_raw_chunks
        self.mcp: McpManager | None = None
        self._tools_starting: asyncio.Event | None = None  # set once MCP start-up is over
        self.fixed_subtitle = subtitle  # tests and benchmarks name their own
        self.welcome = welcome
        self.refresh_subtitle()

    def refresh_subtitle(self) -> None:
        """Say in the header where answers come from (after a model or profile change too)."""
        from tuichat.cli import subtitle

        provider = self.conversation.client.provider
        self.sub_title = self.fixed_subtitle or subtitle(provider, self.demo)

    def switch_profile(self, name: str) -> None:
        """Talk to another provider profile from now on (the conversation goes on)."""
        import os

        from tuichat.config.profiles import resolve_provider
        from tuichat.core.client import ChatClient

        try:
            provider = resolve_provider(self.settings, name, {}, dict(os.environ))
        except ConfigError as error:
            self.notify(str(error), title="Profile", severity="error")
            return
        old = self.conversation.client
        self.conversation.client = ChatClient(provider)
        self.demo = False
        self.run_worker(old.aclose(), exit_on_error=False)
        self.refresh_subtitle()
        self.notify(f"Profile {name}: {provider.model} at {provider.base_url}")
        self.save_setting({"profile": name})

    def choose_model(self, model: str) -> None:
        """Use another model from now on; remembered in the profile when it is the config's."""
        provider = self.conversation.client.provider
        provider.model = model
        self.refresh_subtitle()
        self.notify(f"Model: {model}")
        if provider.name in self.settings.profiles:
            self.save_setting({"profiles": {provider.name: {"model": model}}})

    def toggle_tool(self, name: str) -> None:
        """Offer a tool to the model or stop offering it; saved as `[tools] disabled`."""
        tools = self.conversation.tools
        if tools is None or name not in tools:
            return
        tools.set_enabled(name, not tools.is_enabled(name))
        state = "offered to the model" if tools.is_enabled(name) else "not offered any more"
        self.notify(f"Tool {name}: {state}.")
        disabled = [tool for tool in tools.names() if not tools.is_enabled(tool)]
        self.save_setting({"tools": {"disabled": disabled}})

    def always_run(self, name: str) -> None:
        """Run a tool without asking from now on; saved as `[tools.policy] NAME = "run"`."""
        policy = self.conversation.policy
        if isinstance(policy, ToolPolicies):
            policy.set(name, "run")
        self.notify(f"Tool {name}: runs without asking from now on ([tools.policy] in the config).")
        self.save_setting({"tools": {"policy": {name: "run"}}})

    def mcp_statuses(self) -> dict[str, ServerStatus]:
        """Each configured MCP server's status (empty without servers)."""
        return self.mcp.statuses() if self.mcp is not None else {}

    @property
    def mcp_started(self) -> bool:
        """Whether MCP start-up is over (its problems were told at once; later ones are news)."""
        return self._tools_starting is not None and self._tools_starting.is_set()

    async def tools_ready(self) -> None:
        """Wait until the MCP servers started at launch are ready or have failed."""
        starting = self._tools_starting
        if starting is not None and not starting.is_set():
            self.notify(
                "Waiting for the MCP servers to start (at most "
                f"{self.settings.mcp.start_timeout:g} s)…",
                title="MCP servers",
            )
            await starting.wait()

    @work(group="mcp", exit_on_error=False)
    async def _start_mcp(self) -> None:
        from tuichat.tools.setup import mcp_manager, server_problems, start_mcp_servers

        tools = self.conversation.tools
        try:
            if tools is not None:
                # Kept before starting: quitting during start-up still stops the servers.
                self.mcp = mcp_manager(tools, self.settings, on_status=self._mcp_changed)
                if self.mcp is not None:
                    await start_mcp_servers(self.mcp, tools, self.settings)
        finally:
            if self._tools_starting is not None:
                self._tools_starting.set()
        if self.mcp is None:
            return
        # Start-up problems in one notice; later changes (a server dying) each get their own.
        statuses = self.mcp.statuses()
        problems = server_problems(statuses)
        ready = [
            f"{name} ({len(s.tools)} tools)" for name, s in statuses.items() if s.state == "ready"
        ]
        if problems:
            self.notify("\n".join(problems), title="MCP servers", severity="warning", timeout=15)
        elif ready:
            self.notify("Ready: " + ", ".join(ready), title="MCP servers")

    def _mcp_changed(self, name: str, status: ServerStatus) -> None:
        if self.mcp_started and status.state == "failed":
            self.notify(
                f"MCP server {name!r} stopped: {status.reason or 'no reason given'}. Its tools are "
                "withdrawn; the conversation goes on.",
                title="MCP server",
                severity="error",
                timeout=15,
            )

    def save_setting(self, changes: dict[str, Any]) -> None:
        """Write a change made in the app back to the config file (off the event loop)."""
        if self.config_path is not None:
            self._save_settings(changes)

    def conversation_usage(self) -> tuple[int, int, float | None]:
        """Prompt and completion tokens of the whole conversation, and its cost if priced."""
        prompt = completion = 0
        cost: float | None = None
        for message in self.conversation.messages:
            usage = message.get("usage") if message.get("role") == "assistant" else None
            if not isinstance(usage, dict):
                continue
            p, c = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            prompt, completion = prompt + p, completion + c
            price = self.settings.price_for(
                str(message.get("model") or self.conversation.client.provider.model)
            )
            if price is not None:
                cost = (cost or 0.0) + price.cost(p, c)
        return prompt, completion, cost

    def action_toggle_help(self) -> None:
        """Show or hide the panel listing every key."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # Every action of the screen, by the words its binding shows.
        for name in self.settings.profiles:
            yield SystemCommand(
                f"Profile: {name}",
                f"Talk to the {name} profile",
                partial(self.switch_profile, name),
            )
        tools = self.conversation.tools
        for name in tools.names() if tools is not None else ():
            state = "on" if tools is not None and tools.is_enabled(name) else "off"
            yield SystemCommand(
                f"Tool: {name} ({state})",
                "Switch this tool on or off for the model",
                partial(self.toggle_tool, name),
            )
        for binding in getattr(screen, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.description:
                action = binding.action
                yield SystemCommand(
                    binding.description,
                    f"{binding.description} ({binding.key})",
                    partial(screen.run_action, action),
                )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # tuichat's own colours; a theme may override each of them.
        return {
            "user-message": "#5f9fff",
            "assistant-message": "#8fbf6f",
            "tool-call": "#d7a65f",
            "reasoning": "#9a8fbf",
            "inspector-background": "#10141a" if self.current_theme.dark else "#f2f2f2",
        }

    async def on_mount(self) -> None:
        # Themes: tuichat's and the user's registered once; every problem in one notice.
        problems = [*self._notices, *register_all(self, self._theme_specs)]
        if self._start_theme in self.available_themes:
            self.theme = self._start_theme
        self._theme_applied = True  # from now on a theme change is the user's: saved
        if problems:
            self.notify("\n".join(problems), title="Config", severity="warning", timeout=15)
        servers = any(server.enabled for server in self.settings.mcp.servers)
        if servers and self.conversation.tools is not None:
            self._tools_starting = asyncio.Event()
            self._start_mcp()
        shown: list[StoredMessage] = []
        if self.history_path is not None:
            shown = await self._open_history(self.history_path)
        # Pushed rather than returned from get_default_screen(): only pushed screens load
        # their own CSS_PATH.
        welcome = None if shown else self.welcome
        await self.push_screen(
            ChatScreen(
                self.conversation,
                welcome=welcome,
                shown=[row.message for row in shown],
                shown_ids=[row.id for row in shown],
            )
        )

    async def _open_history(self, path: Path) -> list[StoredMessage]:
        """Open the database, and the conversation to resume; problems are one notification."""
        try:
            self.history = await AsyncHistory.open(path)
            if self.resume is None:
                return []
            cid = (
                await self.history.last_conversation_id() if self.resume == "last" else self.resume
            )
            if cid is None or await self.history.get_conversation(cid) is None:
                self.notify(f"No conversation {self.resume} to reopen: starting a new one.")
                return []
            rows = await self.history.message_rows(cid, include_replaced=False)
        except StorageError as error:
            self.notify(str(error), title="History not available", severity="error", timeout=15)
            self.history = None
            return []
        self.conversation_id = cid
        self.conversation.messages[:] = [row.message for row in rows]
        return rows

    async def recorder_for(self, prompt: str | None) -> TurnRecorder | None:
        """A recorder for the turn about to start (creating the conversation row at first)."""
        history = self.history
        if history is None:
            return None
        provider = self.conversation.client.provider
        try:
            if self.conversation_id is None:
                self.conversation_id = await history.create_conversation(
                    model=provider.model,
                    provider=provider.name,
                    title=None,
                    messages=[
                        m for m in self.conversation.messages[:1] if m.get("role") == "system"
                    ],
                )
        except StorageError as error:
            self.notify(str(error), title="Not saved", severity="error")
            return None
        recorder = TurnRecorder(
            history,
            self.conversation_id,
            self.conversation.messages,
            model=provider.model,
            provider=provider.name,
            save_raw_chunks=self.save_raw_chunks,
            on_error=lambda error: self.notify(str(error), title="Not saved", severity="error"),
        )
        recorder.start_turn(prompt)
        return recorder

    def watch_theme(self, name: str) -> None:
        # A theme picked in the app (command palette) is saved to the config file.
        if self._theme_applied and self.config_path is not None and name != self._start_theme:
            self._start_theme = name
            self.save_setting({"theme": name})

    @work(thread=True, group="save-settings", exit_on_error=False)
    def _save_settings(self, changes: dict[str, Any]) -> None:
        assert self.config_path is not None
        try:
            save_settings_changes(self.config_path, changes)
        except ConfigError as error:
            self.call_from_thread(
                self.notify, str(error), title="Setting not saved", severity="warning"
            )

    async def on_unmount(self) -> None:
        if self.mcp is not None:
            await self.mcp.aclose()  # stdio servers get their stdin closed, then are stopped
        await self.conversation.client.aclose()
        if self.history is not None:
            await self.history.aclose()
