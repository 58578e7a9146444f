"""The AMI module against a protocol-level manager server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor

from django.test import SimpleTestCase

from maillage.phonebank.dialers.ami import (
    AMISettings,
    CallOutcome,
    encode,
    originate_call,
    run_to_completion,
)
from maillage.phonebank.tests.ami_server import FakeAsterisk, running_asterisk


def settings_for(server: FakeAsterisk, **overrides: object) -> AMISettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "username": "maillage",
        "secret": "s3cret",
        "context": "maillage-outbound",
        "trunk_prefix": "9",
        "caller_id": "Campagne <0491000000>",
        "connect_timeout": 3.0,
        "call_timeout": 5,
    }
    values.update(overrides)
    return AMISettings(**values)  # type: ignore[arg-type]


def call(server: FakeAsterisk, **overrides: object) -> CallOutcome:
    ticks = itertools.count(100, 42)  # a clock that moves 42 s between readings
    return run_to_completion(
        originate_call(
            settings_for(server, **overrides),
            seat_channel="PJSIP/101",
            number="+33612345678",
            reference="7",
            clock=lambda: float(next(ticks)),
        )
    )


class AMITests(SimpleTestCase):
    def test_it_encodes_a_message_and_flattens_line_breaks(self) -> None:
        self.assertEqual(
            encode([("Action", "Login"), ("Secret", "a\r\nAction: Originate")]),
            b"Action: Login\r\nSecret: a  Action: Originate\r\n\r\n",
        )

    def test_an_answered_call_is_followed_to_its_hangup(self) -> None:
        with running_asterisk(FakeAsterisk(scenario="answered")) as server:
            outcome = call(server)
        self.assertEqual(outcome.status, "answered")
        self.assertTrue(outcome.answered)
        self.assertEqual(outcome.duration, 42)
        self.assertEqual(outcome.hangup_cause, 16)
        self.assertEqual(outcome.hangup_cause_text, "Normal Clearing")
        self.assertEqual(outcome.error, "")
        originate = next(a for a in server.actions if a["Action"] == "Originate")
        self.assertEqual(originate["Channel"], "PJSIP/101")
        self.assertEqual(originate["Exten"], "9+33612345678")
        self.assertEqual(originate["Context"], "maillage-outbound")
        self.assertEqual(originate["Async"], "true")
        self.assertEqual(originate["CallerID"], "Campagne <0491000000>")
        self.assertEqual([a["Action"] for a in server.actions], ["Login", "Originate", "Logoff"])

    def test_a_busy_voter(self) -> None:
        with running_asterisk(FakeAsterisk(scenario="busy")) as server:
            outcome = call(server)
        self.assertEqual(outcome.status, "busy")
        self.assertFalse(outcome.answered)
        self.assertIsNone(outcome.duration)
        self.assertEqual(outcome.hangup_cause, 17)

    def test_a_voter_who_does_not_answer(self) -> None:
        with running_asterisk(FakeAsterisk(scenario="no_answer")) as server:
            outcome = call(server)
        self.assertEqual(outcome.status, "no_answer")
        self.assertEqual(outcome.hangup_cause, 19)

    def test_a_seat_that_does_not_pick_up_never_dials_the_voter(self) -> None:
        with running_asterisk(FakeAsterisk(scenario="seat_no_answer")) as server:
            outcome = call(server)
        self.assertEqual(outcome.status, "no_answer")
        self.assertFalse(outcome.seat_answered)
        self.assertEqual(outcome.error, "seat did not answer")

    def test_a_refused_login_fails_the_call(self) -> None:
        with running_asterisk(FakeAsterisk()) as server:
            outcome = call(server, secret="wrong")
        self.assertEqual(outcome.status, "failed")
        self.assertIn("login refused", outcome.error)
        self.assertEqual([a["Action"] for a in server.actions], ["Login"])

    def test_a_refused_originate_fails_the_call(self) -> None:
        with running_asterisk(FakeAsterisk(scenario="refuse")) as server:
            outcome = call(server)
        self.assertEqual(outcome.status, "failed")
        self.assertEqual(outcome.error, "Originate failed")

    def test_a_connection_lost_mid_call_fails_the_call(self) -> None:
        with running_asterisk(FakeAsterisk(scenario="drop")) as server:
            outcome = call(server)
        self.assertEqual(outcome.status, "failed")
        self.assertEqual(outcome.error, "connection lost during the call")
        self.assertTrue(outcome.seat_answered)

    def test_a_call_dialled_where_an_event_loop_already_runs_still_completes(self) -> None:
        # An async worker (or Playwright, earlier in the same test process) holds a running
        # loop in this thread: asyncio.run would refuse; the conversation gets its own thread.
        async def from_inside_a_loop() -> CallOutcome:
            with running_asterisk(FakeAsterisk(scenario="answered")) as server:
                return call(server)

        # A thread of its own, so the outer loop can start whatever this one runs already.
        with ThreadPoolExecutor(max_workers=1) as pool:
            outcome = pool.submit(asyncio.run, from_inside_a_loop()).result()
        self.assertEqual((outcome.status, outcome.duration), ("answered", 42))

    def test_an_unreachable_manager_fails_the_call(self) -> None:
        with running_asterisk(FakeAsterisk()) as server:
            port = server.port
        outcome = run_to_completion(
            originate_call(
                AMISettings(host="127.0.0.1", port=port, username="u", secret="s", context="c"),
                seat_channel="PJSIP/101",
                number="+33612345678",
                reference="1",
            )
        )
        self.assertEqual(outcome.status, "failed")
        self.assertIn("cannot reach Asterisk", outcome.error)

    def test_a_server_that_is_not_asterisk_is_refused(self) -> None:
        async def not_asterisk(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
            await writer.drain()
            writer.close()

        async def scenario() -> CallOutcome:
            server = await asyncio.start_server(not_asterisk, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            try:
                return await originate_call(
                    AMISettings(host="127.0.0.1", port=port, username="u", secret="s", context="c"),
                    seat_channel="PJSIP/101",
                    number="+33612345678",
                    reference="1",
                )
            finally:
                server.close()

        outcome = run_to_completion(scenario())
        self.assertEqual(outcome.status, "failed")
        self.assertIn("not an Asterisk manager", outcome.error)
