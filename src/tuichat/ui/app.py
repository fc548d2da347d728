"""The Textual application: a thin layer of screens and widgets over a chat session."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from platformdirs import user_downloads_path
from textual import events, on
from textual.actions import parse as parse_action
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Command, CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen

from tuichat.session.plan import SessionPlan
from tuichat.storage.errors import StorageError
from tuichat.ui.keys import read_alt_enter_as_new_line
from tuichat.ui.notes import tell
from tuichat.ui.subtitle import endpoint_subtitle
from tuichat.ui.tab_messages import OpenInNewTab, ShowMe, TabChanged
from tuichat.ui.tab_set import TabSet
from tuichat.ui.themes import register_all
from tuichat.ui.widgets.prompt import PromptInput
from tuichat.ui.widgets.tab_bar import TabBar

if TYPE_CHECKING:
    # Loaded once the first frame is up (`_start`), or by whoever built the session.
    from tuichat.config.theme_files import ThemeSpec
    from tuichat.session.session import ChatSession
    from tuichat.storage.rows import StoredMessage
    from tuichat.ui.screens.chat import ChatScreen

STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
PROBLEM_TIMEOUT = 8.0  # seconds a start-up problem stays on screen
SHUTDOWN_GRACE = 5.0  # seconds a stopping signal leaves the app to end before it is ended
FIRST_FRAME_TIME = 0.05  # seconds the first frame is given to be painted and written


class TuichatApp(App[None]):
    """tuichat's full-screen app: tabs of conversations, each over a session of its own.

    The first session comes in, built (tests and benchmarks build their own), or as a checked
    plan (`tuichat`): then the first frame is the starting screen, up before the session and
    the chat screen's modules are loaded, and the session is built from the plan behind it.
    A new tab gets a session like the shown one's (`build_session_like`).
    """

    # The chat screen's too: every tab has one, and the starting screen looks like it (one
    # parse at start, none when the first chat screen comes).
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "screens/chat.tcss"]
    TITLE = "tuichat"
    NOTIFICATION_TIMEOUT = 4.0  # seconds; problems that need reading stay PROBLEM_TIMEOUT

    def __init__(
        self,
        session: ChatSession | SessionPlan,
        *,
        subtitle: str | None = None,
        welcome: str | None = None,
        theme_specs: Mapping[str, ThemeSpec] | None = None,
        theme: str | None = None,
        notices: Iterable[str] = (),
        new_session: Callable[[], ChatSession] | None = None,
    ) -> None:
        """Create the app.

        Args:
            session: the conversation it shows (closed when the app ends), or the plan to
                build it from once the first frame is on screen.
            subtitle: a fixed header subtitle (tests and benchmarks: ports vary).
            welcome: shown on an empty conversation (default: the session's, the demo's).
            theme_specs: the theme files to register (bundled and the user's).
            theme: the theme to start with.
            notices: start-up problems to tell in one notice (config warnings, broken themes).
            new_session: makes a new tab's session (default: one like the shown tab's).
        """
        super().__init__()
        read_alt_enter_as_new_line()
        self._plan = session if isinstance(session, SessionPlan) else None
        self._first: ChatSession | None = None if isinstance(session, SessionPlan) else session
        self.tabs = TabSet(self, new_session or self._session_like_shown, subtitle)
        self.fixed_subtitle = subtitle
        self._welcome = welcome
        self._start_theme = theme
        self._theme_applied = False
        self._previewing = False  # the palette of themes is open: themes shown are not saved
        self._theme_before = ""
        self._theme_specs = dict(theme_specs or {})
        self._notices = list(notices)
        self._notices.extend(register_all(self, self._theme_specs))
        if theme in self.available_themes:
            self._set_start_theme(theme)
        self.started = asyncio.Event()  # set once the first tab's chat screen is up
        settings = session.settings
        if settings.keys:
            self.set_keymap(dict(settings.keys))
        if self._first is not None:
            self._first.on_note = partial(tell, self)  # until its screen takes them over

    def _set_start_theme(self, name: str) -> None:
        """Start with this theme, set before Textual first parses the CSS, which then applies it.

        Set as usual (the `theme` reactive, once mounted), Textual's watcher had every
        stylesheet parsed and applied a second time before the first frame. This does what
        the watcher does but that: the app's theme classes and its ANSI colour filter.
        """
        self.set_reactive(TuichatApp.theme, name)
        dark = self.current_theme.dark
        self.set_class(dark, "-dark-mode", update=False)
        self.set_class(not dark, "-light-mode", update=False)
        self.add_class(f"-theme-{name}", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)

    def _session_like_shown(self) -> ChatSession:
        from tuichat.session.builder import build_session_like

        return build_session_like(self.session)

    @property
    def session(self) -> ChatSession:
        """The shown tab's session (the first one's while the app starts)."""
        tab = self.tabs.current
        if tab is not None:
            return tab.session
        if self._first is None:
            raise RuntimeError("The session is not built yet: the app is starting.")
        return self._first

    @property
    def chat(self) -> ChatScreen | None:
        """The shown tab's chat screen."""
        from tuichat.ui.screens.chat import ChatScreen

        return next((s for s in self.screen_stack if isinstance(s, ChatScreen)), None)

    # -- tabs ------------------------------------------------------------------------------

    async def action_new_tab(self) -> None:
        """Open a new conversation in a tab of its own."""
        await self.tabs.open(welcome=None)

    async def action_close_tab(self) -> None:
        """Close the shown tab (an answer arriving there is stopped and saved)."""
        tab = self.tabs.current
        if tab is not None:
            await self.tabs.close(tab)

    async def action_next_tab(self) -> None:
        """Show the next tab."""
        await self.tabs.step(1)

    async def action_previous_tab(self) -> None:
        """Show the previous tab."""
        await self.tabs.step(-1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("close_tab", "next_tab", "previous_tab"):
            return len(self.tabs.tabs) > 1  # with one tab, their keys stay out of the footer
        return True

    @on(TabChanged)
    def _tab_changed(self, event: TabChanged) -> None:
        self.tabs.changed(event.tab_id, event.state, event.title)

    @on(ShowMe)
    async def _show_tab(self, event: ShowMe) -> None:
        tab = self.tabs.find(event.tab_id)
        if tab is not None:
            await self.tabs.show(tab)

    @on(TabBar.Picked)
    async def _tab_picked(self, event: TabBar.Picked) -> None:
        tab = self.tabs.find(event.tab_id)
        if tab is not None:
            await self.tabs.show(tab)

    @on(OpenInNewTab)
    async def _open_in_new_tab(self, event: OpenInNewTab) -> None:
        await self.tabs.open_saved(event.conversation_id)

    def action_toggle_help(self) -> None:
        """Show or hide the panel listing every key."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        chat = self.chat
        if chat is not None:
            for name in self.session.settings.profiles:
                yield SystemCommand(
                    f"Profile: {name}",
                    f"Talk to the {name} profile",
                    partial(chat.switch_profile, name),
                )
            for name, spec in self.session.prompts.prompts.items():
                yield SystemCommand(
                    f"Prompt: {name}", spec.description, partial(chat.use_prompt, name)
                )
            tools = self.session.tools
            for name in tools.names() if tools is not None else ():
                state = "on" if tools is not None and tools.is_enabled(name) else "off"
                yield SystemCommand(
                    f"Tool: {name} ({state})",
                    "Switch this tool on or off for the model",
                    partial(chat.toggle_tool, name),
                )
        # Every action of the screen that can run now, by the words its binding shows.
        for binding in getattr(screen, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.description:
                action = binding.action
                namespace, name, parameters = parse_action(action)
                target = self if namespace == "app" else screen
                if target.check_action(name, parameters) is False:
                    continue  # e.g. Continue, with no answer cut short to continue
                yield SystemCommand(
                    binding.description,
                    self._action_help(target, name, binding, with_doc=not parameters),
                    partial(screen.run_action, action),
                )

    def _action_help(self, target: DOMNode, name: str, binding: Binding, *, with_doc: bool) -> str:
        """A palette entry's help: its key and what the action does (its docstring's summary),
        e.g. `f8 · Show the conversation's branches as a tree: ...`. An action given
        parameters (previous/next) has a docstring about them: its key alone then."""
        key = self.get_key_display(binding)
        method = getattr(target, f"action_{name}", None) if with_doc else None
        doc = (method.__doc__ or "") if method is not None else ""
        summary = " ".join(doc.strip().split("\n\n")[0].split())
        return f"{key} · {summary}" if summary else key

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # tuichat's own colours; a theme may override each of them.
        return {
            "user-message": "#5f9fff",
            "assistant-message": "#8fbf6f",
            "tool-call": "#d7a65f",
            "reasoning": "#9a8fbf",
            "inspector-background": "#10141a" if self.current_theme.dark else "#f2f2f2",
        }

    def _catch_stopping_signals(self) -> None:
        """SIGTERM and SIGHUP end the app as Ctrl+Q does: the answer arriving is cancelled
        and saved, the terminal is put back (alternate screen, mouse reporting, cursor), and
        the exit status is 128 + the signal's number."""
        loop = asyncio.get_running_loop()

        def stop(signum: int, _frame: object) -> None:
            # A terminal that went away or stopped reading can leave the event loop waiting
            # for ever on a write to it (Textual's writer thread dies on a failed write, or
            # blocks on a full terminal, and the writes after it wait for room in its queue).
            # So not the loop's signal handling, which would wait with it: this runs between
            # two bytecodes of the main thread, even one waiting on that queue. Ended as usual
            # where the loop can; past the grace the process ends anyway.
            watchdog = threading.Timer(SHUTDOWN_GRACE, os._exit, (128 + signum,))
            watchdog.daemon = True
            watchdog.start()
            loop.call_soon_threadsafe(self.exit, None, 128 + signum)

        for signum in STOPPING_SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(signum, stop)

    async def on_mount(self) -> None:
        if not self.is_headless:  # a real terminal (tests drive headless apps in their loop)
            self._catch_stopping_signals()
        self._theme_applied = True  # from now on a theme change is the user's: saved
        if self._plan is None:
            await self._open_first_tab()
            self.started.set()

    def get_default_screen(self) -> Screen[Any]:
        # Given a plan, the app's first screen is the starting screen (composed with the app,
        # as its first frame); the tabs' chat screens are modes of their own.
        if self._plan is None:
            return super().get_default_screen()
        from tuichat.ui.screens.starting import StartingScreen

        plan = self._plan
        role = plan.role.name if plan.role else None
        said = endpoint_subtitle(plan.endpoint.provider, demo=plan.endpoint.demo, prompt=role)
        return StartingScreen(self.fixed_subtitle or said)

    def on_ready(self) -> None:
        # The first frame is laid out (nothing is drawn before the app's mount is over), and
        # the rest waits until it is on the terminal: loading it at once, even in a thread,
        # takes the interpreter from the frame's painting and writing (the writer thread).
        # Then on the app's own queue, not the screen's, which it replaces.
        if self._plan is not None and self._first is None:
            self.set_timer(FIRST_FRAME_TIME, partial(self.call_later, self._start))

    async def _start(self) -> None:
        """Behind the first frame: load the rest, build the session, show its chat screen."""
        # In a thread: the loop goes on painting (the first frame may take two) and taking
        # keys while most of tuichat is imported.
        await asyncio.to_thread(_import_the_rest)
        from tuichat.session.builder import build_planned
        from tuichat.ui.screens.starting import StartingScreen

        assert self._plan is not None
        self._first = build_planned(self._plan)
        self._first.on_note = partial(tell, self)
        starting = self.screen
        if isinstance(starting, StartingScreen):
            # The keys the app gave it before: from now on the app's queue holds them until
            # the chat screen is up, and they go to its prompt.
            await starting.settled()
        await self._open_first_tab()
        chat = self.chat
        if chat is not None:
            # Now, not once the screen has mounted: the keys pressed meanwhile wait in the
            # app's queue, and go to what is focused when they come out of it.
            chat.set_focus(chat.prompt)
        if isinstance(starting, StartingScreen) and chat is not None:
            text, cursor = starting.draft
            if text:  # typed while the app was starting: kept, and sent if Enter was pressed
                chat.prompt.text = text
                chat.prompt.cursor_location = cursor
                if starting.sent:
                    chat.prompt.post_message(PromptInput.Submitted(chat.prompt, text))
        # What was imported and built behind the first frame (the SDK, the session) lives as
        # long as the app, like what the command line froze before it: out of the collector's
        # full passes, which otherwise scan it again and again while an answer streams.
        gc.freeze()
        self.started.set()

    async def _open_first_tab(self) -> None:
        session = self._first
        assert session is not None
        problems = [*self._notices, *session.problems]
        if problems:
            self.notify(
                "\n".join(problems), title="Config", severity="warning", timeout=PROBLEM_TIMEOUT
            )
        shown = await self._open_history()
        welcome = session.welcome if self._welcome is None else self._welcome
        await self.tabs.open(session, shown=shown, welcome=welcome)
        # What the first answer needs (the SDK, the Markdown renderers) is imported in a
        # thread once the first frame is painted (see tuichat.ui.warmup).
        from tuichat.ui.warmup import warm_up

        self.call_after_refresh(warm_up)
        if session.resume == "last" and session.history is not None:
            await self._reopen_other_tabs(session)

    async def _reopen_other_tabs(self, first: ChatSession) -> None:
        """`--continue` brings back the tabs that were open, the one shown last shown."""
        assert first.history is not None
        try:
            ids, active = await first.history.open_tabs()
        except StorageError:
            return
        first_tab = self.tabs.current
        for conversation_id in ids:
            if conversation_id != first.conversation_id:
                await self.tabs.open_saved(conversation_id, show=False)
        shown = next(
            (tab for tab in self.tabs.tabs if tab.session.conversation_id == active), first_tab
        )
        if shown is not None:
            await self.tabs.show(shown)

    async def _open_history(self) -> list[StoredMessage]:
        """Open the history and the conversation to resume; a problem is one notification."""
        session = self._first
        assert session is not None
        try:
            await session.open_history()
            if session.resume is None:
                return []
            which = session.resume
            if which == "last" and session.history is not None:
                # The first of the tabs open when tuichat quit (the others follow, in
                # order), else the latest conversation.
                ids, _active = await session.history.open_tabs()
                which = ids[0] if ids else "last"
            rows = await session.reopen(which)
        except StorageError as error:
            self.notify(
                str(error), title="History not available", severity="error", timeout=PROBLEM_TIMEOUT
            )
            session.history = None
            return []
        if rows is None:
            self.notify(f"No conversation {session.resume} to reopen: starting a new one.")
            return []
        return rows

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        # Textual saves to the Downloads folder, and fails without a word when there is none:
        # then it goes to the current directory (the notice says where).
        if path is None:
            downloads = user_downloads_path()
            path = str(downloads if downloads.is_dir() else Path.cwd())
        return super().deliver_screenshot(filename, path, time_format)

    @on(events.DeliveryFailed)
    def _screenshot_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "screenshot":
            event.prevent_default()
            reason = str(event.exception) or type(event.exception).__name__
            self.notify(
                f"The screenshot was not saved: {reason}", title="Screenshot", severity="error"
            )

    def watch_theme(self, name: str) -> None:
        # A theme picked in the app (command palette) is saved to the config file; one shown
        # while moving through the palette's themes is not, until it is picked.
        if self._theme_applied and not self._previewing and name != self._start_theme:
            self._start_theme = name
            self.session.save_setting({"theme": name})

    def search_themes(self) -> None:
        """The palette of themes: each is shown as it is highlighted; Esc goes back."""
        self._previewing = True
        self._theme_before = self.theme
        super().search_themes()

    @on(CommandPalette.OptionHighlighted)
    def _preview_theme(self, event: CommandPalette.OptionHighlighted) -> None:
        option = event.highlighted_event.option
        if self._previewing and isinstance(option, Command):
            name = option.hit.text or str(option.hit.prompt)
            if name in self.available_themes:
                self.theme = name

    @on(CommandPalette.Closed)
    def _theme_palette_closed(self, event: CommandPalette.Closed) -> None:
        if not self._previewing:
            return
        if not event.option_selected:
            self.theme = self._theme_before
        self._previewing = False
        # The picked theme's command runs after the palette closes: save what it leaves.
        self.call_after_refresh(self.watch_theme, self.theme)

    async def on_unmount(self) -> None:
        await self.tabs.close_all()


def _import_the_rest() -> None:
    """What the chat screen and the session need, which the first frame does not."""
    import tuichat.session.builder
    import tuichat.ui.screens.chat  # noqa: F401
