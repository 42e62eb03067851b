"""A bore server test double (ekzhang/bore's wire protocol, written from docs/tunnel.md; standard library only).

Usage: bore_server.py [--secret S] [--min-port N] [--max-port N]
Listens for control connections on 127.0.0.1 (port chosen by the kernel) and prints {"control_port": N} as its
first stdout line. Public ports are bound on 127.0.0.1 too. Protocol: JSON frames ended by NUL, at most 256 bytes;
optional Challenge/Authenticate (HMAC-SHA256, key = SHA-256(secret), message = the UUID's 16 bytes); Hello(port)
→ Hello(actual) or Error; Heartbeat every 500 ms; Connection(uuid) per public connection (dropped after 10 s when
not accepted); Accept(uuid) on a new control connection, then bytes both ways.

Commands, one per stdin line (the tests drive it), each answered with one JSON line on stdout:
  drop      close every client's control connection and public port, and keep those ports taken (the
            client gets a new port when it comes back: a server restart where someone else took the port)
  restart   close every client's control connection and public port, ports free again
  mute      stop sending heartbeats (the connection stays open: a silent, dead server)
  unmute    send heartbeats again
  error M   send Error(M) to every client and close
  stats     {"clients": n, "hellos": n, "auth_failures": n, "accepted": n, "ports": [...]}
Stops on SIGTERM or at the end of stdin.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import signal
import sys
import uuid

MAX_FRAME = 256
NETWORK_TIMEOUT = 3.0


class Closed(Exception):
    pass


async def recv(reader, timeout=None):
    """The next NUL-terminated JSON frame, or None at end of stream."""
    try:
        data = await asyncio.wait_for(reader.readuntil(b"\0"), timeout)
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise Closed("frame too long")
    if len(data) - 1 > MAX_FRAME:
        raise Closed("frame too long")
    return json.loads(data[:-1])


async def send(writer, message):
    writer.write(json.dumps(message).encode() + b"\0")
    await writer.drain()


class Server:
    def __init__(self, secret, min_port, max_port):
        self.secret = secret
        self.min_port, self.max_port = min_port, max_port
        self.clients = {}  # id -> (writer, public server)
        self.pending = {}  # uuid -> (reader, writer) of public connections
        self.reserved = set()  # ports "taken by someone else" after a drop
        self.muted = False
        self.stats = {"hellos": 0, "auth_failures": 0, "accepted": 0}
        self.ports = []

    async def handle(self, reader, writer):
        try:
            await self._handle(reader, writer)
        except (Closed, ConnectionError, asyncio.TimeoutError, json.JSONDecodeError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader, writer):
        if self.secret is not None:
            challenge = uuid.uuid4()
            await send(writer, {"Challenge": str(challenge)})
            message = await recv(reader, NETWORK_TIMEOUT)
            key = hashlib.sha256(self.secret.encode()).digest()
            expected = hmac.new(key, challenge.bytes, hashlib.sha256).hexdigest()
            if not (isinstance(message, dict) and "Authenticate" in message):
                self.stats["auth_failures"] += 1
                await send(writer, {"Error": "server requires secret, but no secret was provided"})
                return
            if not hmac.compare_digest(str(message["Authenticate"]), expected):
                self.stats["auth_failures"] += 1
                await send(writer, {"Error": "invalid secret"})
                return
        message = await recv(reader, NETWORK_TIMEOUT)
        if isinstance(message, dict) and "Hello" in message:
            await self.hello(int(message["Hello"]), reader, writer)
        elif isinstance(message, dict) and "Accept" in message:
            await self.accept(message["Accept"], reader, writer)

    async def hello(self, port, reader, writer):
        self.stats["hellos"] += 1
        if port and not (self.min_port <= port <= self.max_port):
            await send(writer, {"Error": "client port number not in allowed range"})
            return
        if port and (port in self.reserved or any(p == port for _, p in self.clients.values())):
            await send(writer, {"Error": "port already in use"})
            return
        listener = None
        candidates = [port] if port else [random.randint(self.min_port, self.max_port) for _ in range(150)]
        for candidate in candidates:
            if candidate in self.reserved:
                continue
            try:
                listener = await asyncio.start_server(self.public_connection(writer), "127.0.0.1", candidate)
                break
            except OSError:
                continue
        if listener is None:
            await send(writer, {"Error": "port already in use" if port else "failed to find an available port"})
            return
        actual = listener.sockets[0].getsockname()[1]
        self.ports.append(actual)
        key = id(writer)
        self.clients[key] = (writer, actual)
        self.listeners[key] = listener
        try:
            await send(writer, {"Hello": actual})
            reading = asyncio.ensure_future(reader.read(1))  # a client never speaks again; EOF = gone
            while True:
                if not self.muted:
                    await send(writer, "Heartbeat")
                done, _ = await asyncio.wait([reading], timeout=0.5)
                if done:
                    return
        finally:
            self.clients.pop(key, None)
            listener = self.listeners.pop(key, None)
            if listener is not None:
                listener.close()

    def public_connection(self, control):
        async def handle(reader, writer):
            ident = str(uuid.uuid4())
            self.pending[ident] = (reader, writer)
            try:
                await send(control, {"Connection": ident})
            except ConnectionError:
                pass
            await asyncio.sleep(10)
            if self.pending.pop(ident, None) is not None:
                writer.close()

        return handle

    async def accept(self, ident, reader, writer):
        entry = self.pending.pop(ident, None)
        if entry is None:
            return
        self.stats["accepted"] += 1
        public_reader, public_writer = entry
        buffered = reader._buffer  # bytes already read past the Accept frame (bore flushes them too)
        if buffered:
            public_writer.write(bytes(buffered))
            buffered.clear()

        async def pipe(source, sink):
            try:
                while True:
                    data = await source.read(65536)
                    if not data:
                        break
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                try:
                    sink.write_eof()
                except (OSError, RuntimeError):
                    pass

        # Like bore's proxy: the stream ends when either direction ends.
        tasks = [asyncio.ensure_future(pipe(reader, public_writer)), asyncio.ensure_future(pipe(public_reader, writer))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        public_writer.close()

    def close_clients(self, reserve):
        for key, (writer, port) in list(self.clients.items()):
            if reserve:
                self.reserved.add(port)
            listener = self.listeners.pop(key, None)
            if listener is not None:
                listener.close()
            writer.close()
        self.clients.clear()

    async def command(self, line):
        words = line.strip().split(" ", 1)
        name = words[0]
        if name == "drop":
            self.close_clients(reserve=True)
        elif name == "restart":
            self.close_clients(reserve=False)
        elif name == "mute":
            self.muted = True
        elif name == "unmute":
            self.muted = False
        elif name == "error":
            for writer, _ in list(self.clients.values()):
                try:
                    await send(writer, {"Error": words[1] if len(words) > 1 else "server error"})
                except ConnectionError:
                    pass
            self.close_clients(reserve=False)
        elif name == "stats":
            print(json.dumps(dict(self.stats, clients=len(self.clients), ports=self.ports)), flush=True)
            return
        print(json.dumps({"ok": name}), flush=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret")
    parser.add_argument("--min-port", type=int, default=20000)
    parser.add_argument("--max-port", type=int, default=60000)
    args = parser.parse_args()
    server = Server(args.secret, args.min_port, args.max_port)
    server.listeners = {}
    control = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    print(json.dumps({"control_port": control.sockets[0].getsockname()[1]}), flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def commands():
        while True:
            line = await reader.readline()
            if not line:
                stop.set()
                return
            await server.command(line.decode())

    task = asyncio.ensure_future(commands())
    await stop.wait()
    task.cancel()
    server.close_clients(reserve=False)
    control.close()


if __name__ == "__main__":
    asyncio.run(main())
