#!/usr/bin/env python3
"""A hostile kb hub for kb's end-to-end tests (Python 3 standard library only).

It speaks just enough of the hub's API (GET /v1/kb/KB/replicas, GET and POST /v1/kb/KB/changes) to be
synced with, and serves pages that an honest hub never sends, chosen with --mode:

  own-seq     one change that claims the syncing replica's own id (learned from the pull's `exclude`)
              with sequence number 1000000
  hole        2,501 changes of two replicas, one of them with a hole in its sequence numbers (seq 2
              is missing), in pages of the size asked
  cycle       `next` goes 1, 2, 1, 2, … and never reaches the head
  stall       `next` stays where the pull started, below the head
  beyond      `next` beyond `head`
  huge-head   a head of 10^15, each page moving one position
  bomb        a gzip page of about 100 KB that inflates to 100 MiB (one huge string value)
  big-value   one change whose value is a 20 MiB string (the page itself stays under the page limit)
  bad-ids     three changes: an id that is a path, a replica id of combining marks, and a good one

Pushes are answered as accepted. The first line on stdout is "hostile hub listening on
127.0.0.1:PORT"; every request is logged on stderr as "request METHOD PATH".

Usage:
  python3 hostile_hub.py --mode MODE [--port 0]
"""
import argparse
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

EPOCH = "0123456789abcdef0123456789abcdef"
OTHER = "abcdefabcdef0001"
THIRD = "abcdefabcdef0002"
ARTICLE = "0c82636a8329b8b7a1b2c3d4"


def hlc():
    return (int(time.time() * 1000) << 16)


def title_change(replica, seq, title, article=ARTICLE):
    return {"replica": replica, "seq": seq, "hlc": hlc() + seq, "entity": "article", "id": article,
            "field": "title", "op": "set", "value": json.dumps(title, ensure_ascii=False), "base": []}


class Log:
    """The changes the hole mode serves, built once."""

    def __init__(self):
        self.changes = []
        for seq in (1, 3):
            self.changes.append(title_change(OTHER, seq, "有洞的副本 %d" % seq))
        for seq in range(1, 2500):
            self.changes.append(title_change(THIRD, seq, "第 %d 个标题 😀 𠮷" % seq))

    def page(self, after, limit):
        chosen = self.changes[after:after + limit]
        next_position = after + len(chosen)
        next_id = None
        if next_position > 0:
            change = self.changes[next_position - 1]
            next_id = "%s:%d" % (change["replica"], change["seq"])
        return {"epoch": EPOCH, "head": len(self.changes), "next": next_position, "next_id": next_id,
                "changes": [{"hub_seq": after + index + 1, "change": change} for index, change in enumerate(chosen)]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def answer(self, body, status=200, compressed=False):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if compressed:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self):
        sys.stderr.write("request POST %s\n" % self.path)
        sys.stderr.flush()
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.answer({"accepted": 0, "duplicates": 0, "head": 0, "epoch": EPOCH})

    def do_GET(self):
        sys.stderr.write("request GET %s\n" % self.path)
        sys.stderr.flush()
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        mode = self.server.mode
        if url.path.endswith("/replicas"):
            if mode == "huge-head":
                self.answer({"epoch": EPOCH, "head": 10 ** 15, "replicas": {OTHER: 10 ** 15}})
            elif mode == "hole":
                self.answer({"epoch": EPOCH, "head": len(self.server.log.changes),
                             "replicas": {OTHER: 3, THIRD: 2499}})
            elif mode == "bad-ids":
                self.answer({"epoch": EPOCH, "head": 3, "replicas": {THIRD: 1}})
            else:
                self.answer({"epoch": EPOCH, "head": 3, "replicas": {OTHER: 3}})
            return
        after = int(query.get("after", "0"))
        limit = int(query.get("limit", "1000"))
        victim = query.get("exclude", "")
        if mode == "own-seq":
            changes = [{"hub_seq": 1, "change": title_change(victim, 1000000, "伪造的标题")}] if after < 1 else []
            self.answer({"epoch": EPOCH, "head": 1, "next": 1, "next_id": "%s:1000000" % victim, "changes": changes})
        elif mode == "hole":
            self.answer(self.server.log.page(after, limit))
        elif mode == "cycle":
            next_position = 2 if after == 1 else 1
            changes = [{"hub_seq": next_position, "change": title_change(OTHER, next_position, "循环")}]
            self.answer({"epoch": EPOCH, "head": 3, "next": next_position, "next_id": "%s:%d" % (OTHER, next_position),
                         "changes": changes if next_position > after else []})
        elif mode == "stall":
            self.answer({"epoch": EPOCH, "head": 3, "next": after, "next_id": None, "changes": []})
        elif mode == "beyond":
            self.answer({"epoch": EPOCH, "head": 3, "next": 7, "next_id": "%s:1" % OTHER,
                         "changes": [{"hub_seq": 1, "change": title_change(OTHER, 1, "越界")}]})
        elif mode == "huge-head":
            position = after + 1
            self.answer({"epoch": EPOCH, "head": 10 ** 15, "next": position, "next_id": "%s:%d" % (OTHER, position),
                         "changes": [{"hub_seq": position, "change": title_change(OTHER, position, "无尽")}]})
        elif mode == "bad-ids":
            path = title_change(OTHER, 1, "路径")
            path["id"] = "zzzzzzzzzzzzzzzz/../../../../elsewhere/OVERWRITTEN"
            marks = title_change("a" + "\u0301" * 3000, 1, "组合符号")
            good = title_change(THIRD, 1, "好的标题")
            changes = [path, marks, good] if after < 3 else []
            self.answer({"epoch": EPOCH, "head": 3, "next": 3, "next_id": "%s:1" % THIRD,
                         "changes": [{"hub_seq": index + 1, "change": change} for index, change in enumerate(changes)]})
        elif mode == "bomb":
            self.answer(self.server.bomb, compressed=True)
        elif mode == "big-value":
            self.answer(self.server.big, compressed=True)
        else:
            self.answer({"error": "not_found", "message": "No such mode."}, status=404)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", required=True)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    server.mode = arguments.mode
    server.log = Log()
    if arguments.mode == "bomb":
        huge = "炸" * (100 * 1024 * 1024 // 3)
        page = {"epoch": EPOCH, "head": 1, "next": 1, "next_id": "%s:1" % OTHER,
                "changes": [{"hub_seq": 1, "change": title_change(OTHER, 1, huge)}]}
        server.bomb = gzip.compress(json.dumps(page, ensure_ascii=False).encode("utf-8"), 9)
    if arguments.mode == "big-value":
        big = "大" * (20 * 1024 * 1024 // 3 + 10)
        page = {"epoch": EPOCH, "head": 1, "next": 1, "next_id": "%s:1" % OTHER,
                "changes": [{"hub_seq": 1, "change": title_change(OTHER, 1, big)}]}
        server.big = gzip.compress(json.dumps(page, ensure_ascii=False).encode("utf-8"), 6)
    print("hostile hub listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
