#!/usr/bin/env python3
"""A TCP proxy that adds a fixed delay to every request, to restore "from a real object store" in the benchmark.

    latency_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS

Each time a client starts sending after the server last answered (a new HTTP request on a kept-alive
connection, or the first one on a new connection), the proxy waits DELAY_MS before passing it on: a
per-request round trip, as S3 in another building adds, whatever the request's size. Bytes are passed
through unchanged. Used by scripts/bench/s3-latency.sh only; it is not part of PgBackup.
"""
import asyncio
import sys


async def pipe(reader, writer, on_data):
    try:
        while data := await reader.read(1 << 16):
            await on_data(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer, target_port, delay):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    turn = {"client": False}  # True while the client's current request is being passed on

    async def from_client(_):
        if not turn["client"]:
            turn["client"] = True
            await asyncio.sleep(delay)

    async def from_server(_):
        turn["client"] = False

    await asyncio.gather(pipe(client_reader, server_writer, from_client), pipe(server_reader, client_writer, from_server))


async def main():
    listen_port, target_port, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    server = await asyncio.start_server(lambda r, w: handle(r, w, target_port, delay_ms / 1000), "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
