#!/usr/bin/env python3
"""A round-robin TCP balancer on 127.0.0.1 in front of several hub processes, as a load balancer would be.

Each new connection goes to the next backend; one that refuses the connection is skipped for the next.
Prints "balancer listening on 127.0.0.1:PORT" first, then one line per connection: "connection N -> PORT".
"""
import argparse
import asyncio
import itertools
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target-port", type=int, action="append", required=True)
    args = parser.parse_args()
    order = itertools.cycle(args.target_port)
    counter = itertools.count(1)

    async def handle(client_reader, client_writer):
        number = next(counter)
        for _ in range(len(args.target_port)):
            port = next(order)
            try:
                backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            print(f"connection {number} -> {port}", flush=True)
            await asyncio.gather(
                pipe(client_reader, backend_writer), pipe(backend_reader, client_writer))
            return
        print(f"connection {number} -> none", flush=True)
        client_writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"balancer listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
