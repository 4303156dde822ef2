#!/usr/bin/env python3
"""A local SMTP sink for the tests: `smtp_sink.py PORT DIR` listens on 127.0.0.1:PORT and writes
every message it receives to DIR as one JSON file {"mail_from", "rcpt_tos", "subject", "body"}
(the subject and plain-text body decoded). Prints "ready" once listening; stops when its
standard input closes or it is killed."""

import email
import email.policy
import json
import os
import sys
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(msg["subject"]),
            "body": part.get_content() if part is not None else "",
        }
        name = os.path.join(self.out, uuid.uuid4().hex)
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(name + ".tmp", name + ".json")
        return "250 OK"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
