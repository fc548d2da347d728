"""`AsyncHistory`: the history store behind one worker thread, for use on an event loop.

It owns one dedicated worker thread and runs every `HistoryStore` call there, so the event
loop never waits on SQLite (nor on another process holding the lock).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from tuichat.core.events import WireRecord
from tuichat.storage.branches import BranchTree
from tuichat.storage.context import ContextSummary
from tuichat.storage.rows import (
    ConversationSummary,
    Message,
    RawRecord,
    SearchResult,
    StoredMessage,
)
from tuichat.storage.store import HistoryStore

T = TypeVar("T")


class AsyncHistory:
    """The history store behind one dedicated worker thread, for use on an event loop.

    Every call runs in that thread, one at a time, in the order made; awaiting one never
    blocks the loop. `submit` schedules a call without waiting (the recorder's checkpoints).
    """

    def __init__(self, store: HistoryStore, executor: ThreadPoolExecutor) -> None:
        """Wrap a store opened in `executor`'s thread; use `AsyncHistory.open` instead."""
        self._store = store
        self._executor: ThreadPoolExecutor | None = executor
        self.path = store.path

    @classmethod
    async def open(cls, path: Path | str, **kwargs: Any) -> AsyncHistory:
        """Open the database in a new worker thread.

        Args:
            path: the database file.
            **kwargs: passed to `HistoryStore` (readonly, create, timeout, clock,
                fall_back_to_reading: a read-only file is opened for reading, its writes
                raise `StorageError` of kind "readonly").

        Raises:
            StorageError: the file cannot be used.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tuichat-history")
        loop = asyncio.get_running_loop()
        try:
            store = await loop.run_in_executor(
                executor, functools.partial(HistoryStore, path, **kwargs)
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(store, executor)

    def submit(self, call: Callable[[HistoryStore], T]) -> asyncio.Future[T]:
        """Schedule `call(store)` in the worker thread without waiting for it.

        Must be called from the event loop's thread.

        Returns:
            A future with its result (or StorageError).
        """
        if self._executor is None:
            raise RuntimeError("the history is closed")
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, call, self._store)

    async def run(self, call: Callable[[HistoryStore], T]) -> T:
        """Run `call(store)` in the worker thread and return its result."""
        return await self.submit(call)

    async def aclose(self) -> None:
        """Finish every scheduled call, then close the database and the thread."""
        if self._executor is None:
            return
        try:
            await self.submit(lambda store: store.close())
        finally:
            executor, self._executor = self._executor, None
            executor.shutdown(wait=False)

    def close(self) -> None:
        """Finish every scheduled call and close, blocking (for code without a loop)."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        executor.submit(self._store.close)
        executor.shutdown(wait=True)

    # The store's operations, each run in the worker thread.

    async def create_conversation(self, **kwargs: Any) -> int:
        """See `HistoryStore.create_conversation`."""
        return await self.run(lambda store: store.create_conversation(**kwargs))

    async def list_conversations(
        self, limit: int | None = None, offset: int = 0
    ) -> list[ConversationSummary]:
        """See `HistoryStore.list_conversations`."""
        return await self.run(lambda store: store.list_conversations(limit, offset))

    async def get_conversation(self, conversation_id: int) -> ConversationSummary | None:
        """See `HistoryStore.get_conversation`."""
        return await self.run(lambda store: store.get_conversation(conversation_id))

    async def rename(self, conversation_id: int, title: str | None) -> None:
        """See `HistoryStore.rename`."""
        await self.run(lambda store: store.rename(conversation_id, title))

    async def delete(self, conversation_id: int) -> bool:
        """See `HistoryStore.delete`."""
        return await self.run(lambda store: store.delete(conversation_id))

    async def last_conversation_id(self) -> int | None:
        """See `HistoryStore.last_conversation_id`."""
        return await self.run(lambda store: store.last_conversation_id())

    async def open_tabs(self) -> tuple[list[int], int | None]:
        """See `HistoryStore.open_tabs`."""
        return await self.run(lambda store: store.open_tabs())

    async def set_open_tabs(self, conversation_ids: list[int], active: int | None) -> None:
        """See `HistoryStore.set_open_tabs`."""
        await self.run(lambda store: store.set_open_tabs(conversation_ids, active))

    async def recent_prompts(self, limit: int = 100) -> list[str]:
        """See `HistoryStore.recent_prompts`."""
        return await self.run(lambda store: store.recent_prompts(limit))

    async def add_message(self, conversation_id: int, message: Message, **kwargs: Any) -> int:
        """See `HistoryStore.add_message`."""
        return await self.run(lambda store: store.add_message(conversation_id, message, **kwargs))

    async def load_messages(
        self, conversation_id: int, *, include_replaced: bool = False
    ) -> list[Message]:
        """See `HistoryStore.load_messages`."""
        return await self.run(
            lambda store: store.load_messages(conversation_id, include_replaced=include_replaced)
        )

    async def message_rows(
        self, conversation_id: int, *, include_replaced: bool = True
    ) -> list[StoredMessage]:
        """See `HistoryStore.message_rows`."""
        return await self.run(
            lambda store: store.message_rows(conversation_id, include_replaced=include_replaced)
        )

    async def load_raw_chunks(self, message_id: int) -> list[RawRecord]:
        """See `HistoryStore.load_raw_chunks`."""
        return await self.run(lambda store: store.load_raw_chunks(message_id))

    async def load_wire_records(self, message_id: int) -> list[WireRecord]:
        """See `HistoryStore.load_wire_records`."""
        return await self.run(lambda store: store.load_wire_records(message_id))

    async def replace_last_answer(
        self, conversation_id: int, *, include_prompt: bool = False
    ) -> list[int]:
        """See `HistoryStore.replace_last_answer`."""
        return await self.run(
            lambda store: store.replace_last_answer(conversation_id, include_prompt=include_prompt)
        )

    async def branch_tree(self, conversation_id: int) -> BranchTree:
        """See `HistoryStore.branch_tree`."""
        return await self.run(lambda store: store.branch_tree(conversation_id))

    async def branch_rows(
        self, conversation_id: int, message_id: int, *, to_leaf: bool = True
    ) -> list[StoredMessage]:
        """See `HistoryStore.branch_rows`."""
        return await self.run(
            lambda store: store.branch_rows(conversation_id, message_id, to_leaf=to_leaf)
        )

    async def switch_branch(
        self, conversation_id: int, message_id: int, *, to_leaf: bool = True
    ) -> list[int]:
        """See `HistoryStore.switch_branch`."""
        return await self.run(
            lambda store: store.switch_branch(conversation_id, message_id, to_leaf=to_leaf)
        )

    async def add_sibling_answer(
        self, conversation_id: int, messages: list[Message], **kwargs: Any
    ) -> list[int]:
        """See `HistoryStore.add_sibling_answer`."""
        return await self.run(
            lambda store: store.add_sibling_answer(conversation_id, messages, **kwargs)
        )

    async def search(
        self, query: str, limit: int = 50, *, markers: tuple[str, str] = ("[", "]")
    ) -> list[SearchResult]:
        """See `HistoryStore.search`."""
        return await self.run(lambda store: store.search(query, limit, markers=markers))

    async def summaries(self, conversation_id: int) -> list[ContextSummary]:
        """See `HistoryStore.summaries`."""
        return await self.run(lambda store: store.summaries(conversation_id))

    async def set_left_out(
        self, message_ids: list[int], summary_ids: list[int], *, left_out: bool
    ) -> None:
        """See `HistoryStore.set_left_out`."""
        await self.run(
            lambda store: store.set_left_out(message_ids, summary_ids, left_out=left_out)
        )

    async def add_summary(self, conversation_id: int, after_id: int, **kwargs: Any) -> int:
        """See `HistoryStore.add_summary`."""
        return await self.run(lambda store: store.add_summary(conversation_id, after_id, **kwargs))
