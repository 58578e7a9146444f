"""A protocol-level Asterisk Manager Interface server for the tests: it speaks the real wire
format (banner, `Key: Value` blocks ended by an empty line, ActionID echoed in responses,
events pushed by the server) and plays one scenario per Originate."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from maillage.phonebank.dialers.ami import encode, read_message


@dataclass
class FakeAsterisk:
    username: str = "maillage"
    secret: str = "s3cret"
    scenario: str = "answered"  # answered, busy, no_answer, seat_no_answer, refuse, drop
    talk_seconds: float = 0.05
    actions: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/7.0.3\r\n")
        await writer.drain()
        logged_in = False
        try:
            while True:
                message = await read_message(reader)
                self.actions.append(message)
                action = message.get("Action", "").lower()
                action_id = message.get("ActionID", "")

                def send(*fields: tuple[str, str]) -> None:
                    writer.write(encode(list(fields)))

                if action == "login":
                    if (
                        message.get("Username") == self.username
                        and message.get("Secret") == self.secret
                    ):
                        logged_in = True
                        send(
                            ("Response", "Success"),
                            ("ActionID", action_id),
                            ("Message", "Authentication accepted"),
                        )
                        send(
                            ("Event", "FullyBooted"),
                            ("Privilege", "system,all"),
                            ("Status", "Fully Booted"),
                        )
                    else:
                        send(
                            ("Response", "Error"),
                            ("ActionID", action_id),
                            ("Message", "Authentication failed"),
                        )
                        await writer.drain()
                        writer.close()
                        return
                elif action == "logoff":
                    send(
                        ("Response", "Goodbye"),
                        ("ActionID", action_id),
                        ("Message", "Thanks for all the fish."),
                    )
                    await writer.drain()
                    writer.close()
                    return
                elif not logged_in:
                    send(
                        ("Response", "Error"),
                        ("ActionID", action_id),
                        ("Message", "Permission denied"),
                    )
                elif action == "originate":
                    await self.originate(writer, message, send)
                else:
                    send(
                        ("Response", "Error"),
                        ("ActionID", action_id),
                        ("Message", "Invalid/unknown command"),
                    )
                await writer.drain()
        except Exception:
            writer.close()

    async def originate(self, writer, message, send) -> None:  # type: ignore[no-untyped-def]
        action_id = message.get("ActionID", "")
        seat = message.get("Channel", "")
        if self.scenario == "refuse":
            send(("Response", "Error"), ("ActionID", action_id), ("Message", "Originate failed"))
            return
        send(
            ("Response", "Success"),
            ("ActionID", action_id),
            ("Message", "Originate successfully queued"),
        )
        await writer.drain()
        # Unrelated traffic on the same connection must be ignored by the tracker.
        send(
            ("Event", "Hangup"),
            ("Channel", "PJSIP/999-0001"),
            ("Uniqueid", "1700000000.9"),
            ("Cause", "16"),
            ("Cause-txt", "Normal Clearing"),
        )
        seat_id, dest_id = "1700000001.1", "1700000001.2"
        seat_channel = f"{seat}-00000001"
        if self.scenario == "seat_no_answer":
            send(
                ("Event", "OriginateResponse"),
                ("ActionID", action_id),
                ("Response", "Failure"),
                ("Channel", seat),
                ("Reason", "3"),
                ("Uniqueid", "<null>"),
            )
            return
        send(
            ("Event", "OriginateResponse"),
            ("ActionID", action_id),
            ("Response", "Success"),
            ("Channel", seat_channel),
            ("Reason", "4"),
            ("Uniqueid", seat_id),
        )
        send(
            ("Event", "DialBegin"),
            ("Channel", seat_channel),
            ("Uniqueid", seat_id),
            ("DestChannel", "PJSIP/trunk-00000002"),
            ("DestUniqueid", dest_id),
            ("DialString", message.get("Exten", "")),
        )
        await writer.drain()
        if self.scenario == "drop":
            await asyncio.sleep(0.02)
            writer.transport.abort()
            raise ConnectionResetError("dropped")
        status = {"answered": "ANSWER", "busy": "BUSY", "no_answer": "NOANSWER"}[self.scenario]
        send(
            ("Event", "DialEnd"),
            ("Channel", seat_channel),
            ("Uniqueid", seat_id),
            ("DestUniqueid", dest_id),
            ("DialStatus", status),
        )
        await writer.drain()
        if status == "ANSWER":
            await asyncio.sleep(self.talk_seconds)
        cause, text = {
            "ANSWER": ("16", "Normal Clearing"),
            "BUSY": ("17", "User busy"),
            "NOANSWER": ("19", "No answer"),
        }[status]
        send(
            ("Event", "Hangup"),
            ("Channel", "PJSIP/trunk-00000002"),
            ("Uniqueid", dest_id),
            ("Cause", cause),
            ("Cause-txt", text),
        )
        send(
            ("Event", "Hangup"),
            ("Channel", seat_channel),
            ("Uniqueid", seat_id),
            ("Cause", cause),
            ("Cause-txt", text),
        )


@contextmanager
def running_asterisk(server: FakeAsterisk) -> Iterator[FakeAsterisk]:
    """Serve on 127.0.0.1:<free port> in a thread of its own (tests stay synchronous)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, asyncio.AbstractServer] = {}

    async def start() -> None:
        holder["server"] = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = holder["server"].sockets[0].getsockname()[1]
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(5)
    try:
        yield server
    finally:

        async def stop() -> None:
            holder["server"].close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
