#!/usr/bin/env python3
"""A faulty HTTP/1.1 proxy for kb's end-to-end tests (Python 3 standard library only).

It listens on 127.0.0.1, forwards each request to the hub, and, driven by a seeded random
number generator and the probabilities given on the command line, sometimes:

  --cut P      cuts the connection in the middle of the hub's answer (the hub did the work,
               the client sees a truncated response);
  --repeat P   sends a POST twice to the hub and returns the second answer (a retried request
               that was in fact received).

For a test that needs one exact fault, --cut-first K --cut-bytes N cuts each of the first K
answers after exactly N bytes (N may fall inside the status line or the headers).

The first line on stdout is "faulty proxy listening on 127.0.0.1:PORT" (with --port 0 the
system picks the port). Each fault is logged on stderr as one line starting with "fault ".
SIGUSR1 turns every fault off (for fault-free rounds); SIGUSR2 turns them on again.
SIGTERM stops the proxy; it then prints "faults cut=N repeat=M requests=R" on stderr.

Usage:
  python3 faulty_proxy.py --target-port 8765 [--target-host 127.0.0.1] [--port 0]
                          [--seed 1] [--cut 0.1] [--repeat 0.1]
"""
import argparse
import random
import signal
import socket
import sys
import threading

MAX_HEADER_BYTES = 64 * 1024


class Faults:
    """The seeded random choices and the counters, behind one lock."""

    def __init__(self, seed, cut, repeat, cut_first=0, cut_bytes=None):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.cut = cut
        self.repeat = repeat
        self.cut_first = cut_first
        self.cut_bytes = cut_bytes
        self.enabled = True
        self.counts = {"cut": 0, "repeat": 0, "requests": 0}

    def decide(self, method):
        """Returns (cut, repeat, cut_fraction, cut_bytes) for one request."""
        with self.lock:
            self.counts["requests"] += 1
            cut_roll = self.rng.random()
            repeat_roll = self.rng.random()
            fraction = self.rng.random()
            if not self.enabled:
                return False, False, fraction, None
            if self.cut_first > 0 and self.cut_bytes is not None:
                self.cut_first -= 1
                self.counts["cut"] += 1
                return True, False, fraction, self.cut_bytes
            repeat = method == "POST" and repeat_roll < self.repeat
            cut = cut_roll < self.cut
            if cut:
                self.counts["cut"] += 1
            if repeat:
                self.counts["repeat"] += 1
            return cut, repeat, fraction, None

    def set_enabled(self, enabled):
        with self.lock:
            self.enabled = enabled


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def recv_until(sock, buffer, marker):
    """Reads until `marker` is in the buffer; returns (head, rest) or (None, buffer) at EOF."""
    while marker not in buffer:
        if len(buffer) > MAX_HEADER_BYTES:
            return None, buffer
        chunk = sock.recv(65536)
        if not chunk:
            return None, buffer
        buffer += chunk
    index = buffer.index(marker) + len(marker)
    return buffer[:index], buffer[index:]


def recv_exactly(sock, buffer, count):
    while len(buffer) < count:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buffer
        buffer += chunk
    return buffer[:count], buffer[count:]


def read_chunked(sock, buffer):
    """Reads a chunked body; returns (raw chunked bytes, rest) or (None, buffer)."""
    raw = b""
    while True:
        line, buffer = recv_until(sock, buffer, b"\r\n")
        if line is None:
            return None, buffer
        raw += line
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            # Trailers end with an empty line.
            while True:
                trailer, buffer = recv_until(sock, buffer, b"\r\n")
                if trailer is None:
                    return None, buffer
                raw += trailer
                if trailer == b"\r\n":
                    return raw, buffer
        data, buffer = recv_exactly(sock, buffer, size + 2)
        if data is None:
            return None, buffer
        raw += data


def parse_headers(head):
    lines = head.decode("latin-1").split("\r\n")
    start = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return start, headers


def header(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def read_request(sock, buffer):
    """One request from the client: (method, target, headers, body, rest) or None at EOF."""
    head, buffer = recv_until(sock, buffer, b"\r\n\r\n")
    if head is None:
        return None
    start, headers = parse_headers(head)
    parts = start.split(" ")
    if len(parts) < 3:
        return None
    method, target = parts[0], parts[1]
    body = b""
    if (header(headers, "transfer-encoding") or "").lower() == "chunked":
        body_raw, buffer = read_chunked(sock, buffer)
        if body_raw is None:
            return None
        # Re-frame as a plain body for the hub.
        body = dechunk(body_raw)
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    else:
        length = int(header(headers, "content-length") or "0")
        body, buffer = recv_exactly(sock, buffer, length)
        if body is None:
            return None
    return method, target, headers, body, buffer


def dechunk(raw):
    out = b""
    index = 0
    while True:
        end = raw.index(b"\r\n", index)
        size = int(raw[index:end].split(b";")[0].strip() or b"0", 16)
        index = end + 2
        if size == 0:
            return out
        out += raw[index:index + size]
        index += size + 2


def forward(target_host, target_port, method, target, headers, body):
    """Sends one request to the hub on a fresh connection and returns its whole answer (raw bytes)."""
    lines = ["%s %s HTTP/1.1" % (method, target)]
    for name, value in headers:
        lower = name.lower()
        if lower in ("connection", "content-length", "proxy-connection", "keep-alive"):
            continue
        lines.append("%s: %s" % (name, value))
    lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: close")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    upstream = socket.create_connection((target_host, target_port), timeout=60)
    try:
        upstream.sendall(request)
        return read_response(upstream)
    finally:
        upstream.close()


def read_response(sock):
    """A whole response: status line, headers and body, framed as the hub framed it."""
    head, buffer = recv_until(sock, b"", b"\r\n\r\n")
    if head is None:
        raise ConnectionError("the hub closed the connection before answering")
    start, headers = parse_headers(head)
    if (header(headers, "transfer-encoding") or "").lower() == "chunked":
        body, _ = read_chunked(sock, buffer)
        if body is None:
            raise ConnectionError("the hub cut its chunked answer")
    elif header(headers, "content-length") is not None:
        body, _ = recv_exactly(sock, buffer, int(header(headers, "content-length")))
        if body is None:
            raise ConnectionError("the hub cut its answer")
    else:
        body = buffer
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return head + body, (header(headers, "connection") or "").lower() == "close"


def handle(client, args, faults):
    buffer = b""
    try:
        while True:
            request = read_request(client, buffer)
            if request is None:
                return
            method, target, headers, body, buffer = request
            cut, repeat, fraction, cut_bytes = faults.decide(method)
            try:
                response, closes = forward(args.target_host, args.target_port, method, target, headers, body)
                if repeat:
                    log("fault repeat %s %s" % (method, target))
                    response, closes = forward(args.target_host, args.target_port, method, target, headers, body)
            except (OSError, ConnectionError) as error:
                # The hub is down: the client sees its connection closed, as it would without a proxy.
                log("upstream %s %s: %s" % (method, target, error))
                return
            if cut:
                if cut_bytes is not None:
                    keep = max(0, min(len(response) - 1, cut_bytes))
                else:
                    keep = max(1, min(len(response) - 1, int(len(response) * fraction)))
                log("fault cut %s %s after %d of %d bytes" % (method, target, keep, len(response)))
                client.sendall(response[:keep])
                return
            client.sendall(response)
            if closes:
                return
    except OSError:
        return
    finally:
        try:
            client.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        client.close()


def main():
    parser = argparse.ArgumentParser(description="A faulty HTTP/1.1 proxy for kb's tests.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--target-host", default="127.0.0.1")
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cut", type=float, default=0.0)
    parser.add_argument("--repeat", type=float, default=0.0)
    parser.add_argument("--cut-first", type=int, default=0)
    parser.add_argument("--cut-bytes", type=int, default=None)
    args = parser.parse_args()

    faults = Faults(args.seed, args.cut, args.repeat, args.cut_first, args.cut_bytes)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", args.port))
    server.listen(64)

    def stop(signum, frame):
        with faults.lock:
            counts = dict(faults.counts)
        log("faults cut=%d repeat=%d requests=%d" % (counts["cut"], counts["repeat"], counts["requests"]))
        sys.stderr.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGUSR1, lambda signum, frame: (faults.set_enabled(False), log("faults off")))
    signal.signal(signal.SIGUSR2, lambda signum, frame: (faults.set_enabled(True), log("faults on")))

    sys.stdout.write("faulty proxy listening on 127.0.0.1:%d\n" % server.getsockname()[1])
    sys.stdout.flush()
    while True:
        try:
            client, _ = server.accept()
        except InterruptedError:
            continue
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(target=handle, args=(client, args, faults), daemon=True)
        thread.start()


if __name__ == "__main__":
    main()
