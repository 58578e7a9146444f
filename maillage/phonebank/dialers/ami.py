"""A small asyncio client for the Asterisk Manager Interface (AMI): log in, originate a call
from a seat to a voter, and follow its events until it ends.

Why our own module rather than a library: the one well-known asyncio client (panoramisk) has
had no release since 2021, and the part of the protocol a phone bank needs is small. The wire
format (Asterisk's `manager.c`): after connecting, one banner line `Asterisk Call Manager/x.y`;
then messages are `Key: Value` lines ended by `\\r\\n`, a message ended by an empty line. We
send `Action:` messages with an `ActionID`; Asterisk answers each with a `Response:` message
carrying the same `ActionID`, and pushes `Event:` messages at any time.

The call: `Originate` with `Async: true` rings the seat's channel (`PJSIP/101`); once the seat
answers, Asterisk runs the dialplan at `context`/`exten` (trunk prefix + voter's number), which
dials the voter. Asterisk reports `OriginateResponse` (same ActionID: did the seat pick up, and
the seat channel's `Uniqueid`), `DialEnd` (on the seat channel: `DialStatus` of the voter leg,
ANSWER / BUSY / NOANSWER / CONGESTION / CHANUNAVAIL…) and `Hangup` (`Cause`, `Cause-txt`).
The outcome says whether the voter answered, for how long, and why it hung up; a lost
connection or any protocol failure gives a `failed` outcome, never an exception lost in a task.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

Message = dict[str, str]

T = TypeVar("T")

ENCODING = "utf-8"
BANNER_PREFIX = "Asterisk Call Manager/"

# DialEnd's DialStatus → our outcome status.
DIAL_STATUSES = {
    "ANSWER": "answered",
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
    "DONTCALL": "failed",
    "TORTURE": "failed",
    "INVALIDARGS": "failed",
}
# OriginateResponse's Reason when the seat itself did not pick up (channel.h AST_CONTROL_*).
ORIGINATE_REASONS = {
    "0": "failed",  # no such channel / failure
    "1": "failed",  # hung up
    "3": "no_answer",  # ringing, nobody answered
    "4": "answered",
    "5": "busy",
    "8": "failed",  # congestion
}


class AMIError(Exception):
    """The AMI conversation failed (protocol, network or refusal)."""


class AMILoginRefused(AMIError):
    """Asterisk refused the manager user or its secret."""


class AMIConnectionLost(AMIError):
    """The connection closed before the conversation was over."""


@dataclass(frozen=True)
class AMISettings:
    host: str
    port: int
    username: str
    secret: str
    context: str
    trunk_prefix: str = ""
    caller_id: str = ""
    # Seconds the seat may ring before Asterisk gives up, and the whole call's upper bound.
    ring_timeout: int = 30
    call_timeout: int = 3600
    connect_timeout: float = 10.0


@dataclass
class CallOutcome:
    """What happened to one originated call."""

    status: str  # "answered", "busy", "no_answer", "failed"
    answered: bool = False
    duration: int | None = None  # seconds the voter was on the line
    hangup_cause: int | None = None
    hangup_cause_text: str = ""
    error: str = ""
    seat_answered: bool = False
    uniqueid: str = ""
    events: list[str] = field(default_factory=list)


def encode(fields: list[tuple[str, str]]) -> bytes:
    """One AMI message: `Key: Value` lines, CRLF-terminated, then an empty line. Values may not
    carry line breaks (they would inject keys), so they are flattened."""
    lines = []
    for key, value in fields:
        clean = str(value).replace("\r", " ").replace("\n", " ")
        lines.append(f"{key}: {clean}\r\n")
    return ("".join(lines) + "\r\n").encode(ENCODING)


def parse_lines(lines: list[str]) -> Message:
    """The keys and values of one message (the first occurrence of a key wins; `Variable`
    keys repeat but we never read them)."""
    message: Message = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep:
            continue
        message.setdefault(key.strip(), value.strip())
    return message


async def read_message(reader: asyncio.StreamReader) -> Message:
    """The next message; AMIConnectionLost when the stream ends first."""
    lines: list[str] = []
    while True:
        raw = await reader.readline()
        if not raw:
            raise AMIConnectionLost("connection closed")
        line = raw.decode(ENCODING, errors="replace").rstrip("\r\n")
        if line == "":
            if lines:
                return parse_lines(lines)
            continue
        lines.append(line)


class AMIClient:
    """One manager connection. Responses are matched to actions by ActionID; every event goes
    to the listeners registered with `listen`."""

    def __init__(self, settings: AMISettings, *, prefix: str = "maillage") -> None:
        self.settings = settings
        self.prefix = prefix
        self._ids = itertools.count(1)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[Message]] = {}
        self._listeners: list[Callable[[Message], None]] = []
        self._pump: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.banner = ""

    def next_action_id(self) -> str:
        return f"{self.prefix}-{next(self._ids)}"

    async def connect(self) -> None:
        try:
            reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.settings.host, self.settings.port),
                self.settings.connect_timeout,
            )
            self._reader = reader
            raw = await asyncio.wait_for(reader.readline(), self.settings.connect_timeout)
        except (OSError, TimeoutError) as error:
            raise AMIError(f"cannot reach Asterisk: {error}") from error
        self.banner = raw.decode(ENCODING, errors="replace").strip()
        if not self.banner.startswith(BANNER_PREFIX):
            await self.close()
            raise AMIError(f"not an Asterisk manager: {self.banner[:80]!r}")
        self._pump = asyncio.create_task(self._read_forever())

    async def _read_forever(self) -> None:
        assert self._reader is not None
        try:
            while True:
                message = await read_message(self._reader)
                action_id = message.get("ActionID", "")
                if "Response" in message and action_id in self._pending:
                    future = self._pending.pop(action_id)
                    if not future.done():
                        future.set_result(message)
                    continue
                if "Event" in message:
                    for listener in list(self._listeners):
                        listener(message)
        except (AMIConnectionLost, OSError):
            pass
        finally:
            self.closed.set()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(AMIConnectionLost("connection closed"))
            self._pending.clear()

    def listen(self, listener: Callable[[Message], None]) -> None:
        self._listeners.append(listener)

    async def action(
        self, name: str, fields: list[tuple[str, str]] | None = None, *, action_id: str = ""
    ) -> Message:
        """Send one action and wait for its response (matched by its ActionID)."""
        if self._writer is None or self.closed.is_set():
            raise AMIConnectionLost("not connected")
        action_id = action_id or self.next_action_id()
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        self._writer.write(encode([("Action", name), ("ActionID", action_id), *(fields or [])]))
        try:
            await self._writer.drain()
        except OSError as error:
            self._pending.pop(action_id, None)
            raise AMIConnectionLost(str(error)) from error
        response = await asyncio.wait_for(future, self.settings.connect_timeout)
        response.setdefault("ActionID", action_id)
        return response

    async def login(self) -> None:
        response = await self.action(
            "Login",
            [
                ("Username", self.settings.username),
                ("Secret", self.settings.secret),
                ("Events", "call"),
            ],
        )
        if response.get("Response", "").lower() != "success":
            raise AMILoginRefused(response.get("Message", "authentication failed"))

    async def close(self) -> None:
        if self._writer is not None and not self.closed.is_set():
            try:
                self._writer.write(
                    encode([("Action", "Logoff"), ("ActionID", self.next_action_id())])
                )
                await self._writer.drain()
            except OSError:
                pass
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        if self._pump is not None:
            self._pump.cancel()
            # The pump ends on the cancellation; it handles its own errors.
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        self.closed.set()


class CallTracker:
    """Follows one originated call through its events (fed by `AMIClient.listen`)."""

    def __init__(self, action_id: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.action_id = action_id
        self.clock = clock
        self.outcome = CallOutcome(status="failed")
        self.channels: set[str] = set()  # uniqueids of the seat and voter legs
        self.answered_at: float | None = None
        self.done = asyncio.Event()

    def feed(self, event: Message) -> None:
        name = event.get("Event", "")
        if name == "OriginateResponse" and event.get("ActionID") == self.action_id:
            self.outcome.events.append(name)
            uniqueid = event.get("Uniqueid", "")
            if uniqueid and uniqueid != "<null>":
                self.channels.add(uniqueid)
                self.outcome.uniqueid = uniqueid
            if event.get("Response", "").lower() == "success":
                self.outcome.seat_answered = True
                return
            # The seat never picked up: the voter was never dialled.
            self.outcome.status = ORIGINATE_REASONS.get(event.get("Reason", "0"), "failed")
            self.outcome.error = "seat did not answer"
            self.done.set()
            return
        uniqueid = event.get("Uniqueid", "")
        if uniqueid not in self.channels:
            return
        self.outcome.events.append(name)
        if name == "DialBegin":
            dest = event.get("DestUniqueid", "")
            if dest:
                self.channels.add(dest)
        elif name == "DialEnd":
            dest = event.get("DestUniqueid", "")
            if dest:
                self.channels.add(dest)
            status = DIAL_STATUSES.get(event.get("DialStatus", "").upper(), "failed")
            self.outcome.status = status
            if status == "answered":
                self.outcome.answered = True
                self.answered_at = self.clock()
        elif name == "Hangup":
            cause = event.get("Cause", "")
            if cause.isdigit() and self.outcome.hangup_cause is None:
                self.outcome.hangup_cause = int(cause)
                self.outcome.hangup_cause_text = event.get("Cause-txt", "")
            if uniqueid == self.outcome.uniqueid or not self.outcome.seat_answered:
                # The seat's leg is gone: the call is over.
                if self.answered_at is not None:
                    self.outcome.duration = max(0, round(self.clock() - self.answered_at))
                elif self.outcome.status == "failed" and not self.outcome.error:
                    self.outcome.error = "hung up before the voter answered"
                self.done.set()


def originate_fields(
    settings: AMISettings, *, seat_channel: str, number: str, reference: str
) -> list[tuple[str, str]]:
    """The Originate action: ring the seat, then run the dialplan that dials the voter."""
    fields = [
        ("Channel", seat_channel),
        ("Context", settings.context),
        ("Exten", f"{settings.trunk_prefix}{number}"),
        ("Priority", "1"),
        ("Async", "true"),
        ("Timeout", str(settings.ring_timeout * 1000)),
        ("Variable", f"MAILLAGE_CALL={reference}"),
    ]
    if settings.caller_id:
        fields.append(("CallerID", settings.caller_id))
    return fields


async def originate_call(
    settings: AMISettings,
    *,
    seat_channel: str,
    number: str,
    reference: str,
    clock: Callable[[], float] = time.monotonic,
) -> CallOutcome:
    """Log in, originate, follow the call to its end. Never raises for a call that went wrong:
    the outcome says `failed` with the reason (refused login, lost connection, timeout…)."""
    client = AMIClient(settings, prefix=f"maillage-{reference}")
    tracker: CallTracker | None = None
    try:
        await client.connect()
        await client.login()
        action_id = client.next_action_id()
        tracker = CallTracker(action_id, clock=clock)
        client.listen(tracker.feed)
        # The tracker knows the ActionID first: OriginateResponse may arrive right after.
        response = await client.action(
            "Originate",
            originate_fields(
                settings, seat_channel=seat_channel, number=number, reference=reference
            ),
            action_id=action_id,
        )
        if response.get("Response", "").lower() != "success":
            return CallOutcome(status="failed", error=response.get("Message", "originate refused"))
        closed = asyncio.create_task(client.closed.wait())
        finished = asyncio.create_task(tracker.done.wait())
        done, pending = await asyncio.wait(
            {closed, finished}, timeout=settings.call_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        for waiting in pending:
            waiting.cancel()
        if finished in done:
            return tracker.outcome
        outcome = tracker.outcome
        outcome.status = "failed"
        outcome.error = "connection lost during the call" if closed in done else "call timed out"
        return outcome
    except AMILoginRefused as error:
        return CallOutcome(status="failed", error=f"login refused: {error}")
    except (AMIError, TimeoutError, OSError) as error:
        outcome = tracker.outcome if tracker is not None else CallOutcome(status="failed")
        outcome.status = "failed"
        outcome.error = str(error) or error.__class__.__name__
        return outcome
    finally:
        await client.close()


def outcome_as_dict(outcome: CallOutcome) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "answered": outcome.answered,
        "duration": outcome.duration,
        "hangup_cause": outcome.hangup_cause,
        "hangup_cause_text": outcome.hangup_cause_text,
        "error": outcome.error,
    }


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run an AMI conversation from synchronous code (the worker's task) and wait for it.

    `asyncio.run` refuses to start when this thread already runs an event loop (an async
    worker; in the test suite, Playwright's): the conversation then gets a thread and a loop
    of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ami") as pool:
        return pool.submit(asyncio.run, coroutine).result()
