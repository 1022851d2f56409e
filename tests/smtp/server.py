"""A real SMTP server for the end-to-end tests (aiosmtpd): it listens on 127.0.0.1
on a free port, prints that port on its first line, then writes each message it
receives to stdout as one JSON line (envelope and raw message), until stdin closes.
"""

import json
import socket
import sys

from aiosmtpd.controller import Controller


class Printer:
    async def handle_DATA(self, server, session, envelope):
        line = json.dumps(
            {
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.original_content.decode("utf-8", "replace"),
            }
        )
        print(line, flush=True)
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    controller = Controller(Printer(), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    # The test ends the server by closing stdin (or by dying).
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
