#!/usr/bin/env python3
"""A TCP proxy on loopback that adds a fixed delay to every HTTP request it forwards.

usage: delayproxy.py --backend HOST:PORT --delay MS [--listen PORT] [--log FILE]

Listens on 127.0.0.1 (PORT 0, the default, picks a free port) and prints one line,
"listening on 127.0.0.1:PORT", on stdout once it accepts connections. Each client connection
gets its own connection to the backend. On the way to the backend, the proxy reads every request's
head (up to the blank line) and its body (Content-Length), waits MS milliseconds, then forwards it:
the delay is per request, not per packet, so every request on a keep-alive connection pays it,
and requests on different connections wait side by side, as they would behind a long link.
Responses come back as they are, without delay. A request with a chunked body (no GET or HEAD
has one) makes the proxy forward the rest of that connection unparsed, after the delay.
With --log, one line per forwarded request: "<unix time> <method> <target>".

Stops on SIGTERM or SIGINT. Python 3.7+, standard library only. This is a test fixture for
benchmarks and integration tests (there is no tc netem on these machines), not a general proxy.
"""

import argparse
import asyncio
import signal
import sys
import time

MAX_HEAD = 64 * 1024


async def pipe(reader, writer):
    """Copies reader to writer until end of stream."""
    try:
        while True:
            data = await reader.read(1 << 16)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - closing a broken socket
            pass


def body_length(head):
    """(Content-Length or 0, whether the body is chunked) of a request head."""
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return length, chunked


async def requests(client, backend, delay, log):
    """Forwards requests from client to backend, each after the delay."""
    try:
        while True:
            try:
                head = await client.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            except asyncio.LimitOverrunError:
                break
            length, chunked = body_length(head)
            body = await client.readexactly(length) if length else b""
            await asyncio.sleep(delay)
            if log is not None:
                first = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                log.write("%.3f %s %s\n" % (time.time(), first[0], first[1] if len(first) > 1 else ""))
                log.flush()
            backend.write(head + body)
            await backend.drain()
            if chunked:
                await pipe(client, backend)
                return
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError, ValueError):
        pass
    finally:
        try:
            backend.close()
        except Exception:  # noqa: BLE001
            pass


async def handle(client_r, client_w, host, port, delay, log):
    try:
        backend_r, backend_w = await asyncio.open_connection(host, port)
    except OSError:
        client_w.close()
        return
    up = asyncio.ensure_future(requests(client_r, backend_w, delay, log))
    down = asyncio.ensure_future(pipe(backend_r, client_w))
    await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
    # one side ended: end the other (a client that closes, a backend that closes after a response)
    await asyncio.sleep(0)
    if down.done():
        up.cancel()
    else:
        # the client stopped sending; let the last response finish, then close
        await down
    for w in (client_w, backend_w):
        try:
            w.close()
        except Exception:  # noqa: BLE001
            pass


async def main():
    ap = argparse.ArgumentParser(description="loopback TCP proxy adding a delay per HTTP request")
    ap.add_argument("--backend", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--delay", required=True, type=float, help="milliseconds added to every request")
    ap.add_argument("--listen", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--log", help="append one line per forwarded request to this file")
    a = ap.parse_args()
    host, _, port = a.backend.rpartition(":")
    if not host or not port.isdigit() or a.delay < 0:
        ap.error("--backend needs HOST:PORT and --delay a number >= 0")
    log = open(a.log, "a", encoding="utf-8") if a.log else None
    delay = a.delay / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, host, int(port), delay, log), "127.0.0.1", a.listen, limit=MAX_HEAD
    )
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.get_running_loop().create_future()
    for s in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(s, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
