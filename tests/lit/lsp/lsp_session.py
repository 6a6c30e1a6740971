#!/usr/bin/env python3
"""A scripted client of `fusion lsp`, for protocol-level tests (tests/lit/lsp/*.test).

usage: lsp_session.py FUSION FILE.fu [STEP...]

Starts `FUSION lsp`, initialises it, opens FILE.fu, prints the diagnostics it publishes, then runs
each STEP and prints what came back, one readable line per result (for FileCheck). Positions are
1-based LINE:COL, as the compiler's diagnostics print them:

  hover L:C           the hover text (newlines shown as ' | ')
  definition L:C      FILE:L:C-L:C of the definition
  references L:C      each reference, declaration included
  symbols             the document's symbols, children indented
  complete L:C        the completion labels, sorted, with their details
  signature L:C       the signature and its active parameter
  change FILE2        replaces the document's text with FILE2's (same URI); prints the diagnostics
  time-change FILE2 N replaces the text N times, alternating with the original; prints the median
                      and the worst time from didChange to its publishDiagnostics (bench/lsp)

The session ends with shutdown and exit; the server's exit code must be 0.
"""
import json
import os
import subprocess
import sys
import time


class Client:
    def __init__(self, fusion):
        self.proc = subprocess.Popen([fusion, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.next_id = 1

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("lsp_session: the server closed its output")
            line = line.strip()
            if not line:
                if length is not None:
                    break
                continue
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            m = self.receive()
            if m.get("id") == rid:
                if "error" in m:
                    raise SystemExit("lsp_session: %s failed: %s" % (method, m["error"]))
                return m.get("result")

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri):
        while True:
            m = self.receive()
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
                return m["params"]["diagnostics"]


def pos(text):
    line, col = text.split(":")
    return {"line": int(line) - 1, "character": int(col) - 1}


def show_range(r):
    s, e = r["start"], r["end"]
    return "%d:%d-%d:%d" % (s["line"] + 1, s["character"] + 1, e["line"] + 1, e["character"] + 1)


def show_location(loc):
    return "%s:%s" % (os.path.basename(loc["uri"]), show_range(loc["range"]))


def print_diagnostics(diags):
    severity = {1: "error", 2: "warning", 3: "info", 4: "hint"}
    print("diagnostics: %d" % len(diags))
    for d in diags:
        print("  %s %s %s: %s" % (show_range(d["range"]), severity[d["severity"]], d.get("code", ""), d["message"]))
        for rel in d.get("relatedInformation", []):
            print("    note %s: %s" % (show_location(rel["location"]), rel["message"]))


def print_symbols(symbols, indent):
    for s in symbols:
        print("%s%s (kind %d) %s: %s" % (indent, s["name"], s["kind"], show_range(s["selectionRange"]), s.get("detail", "")))
        print_symbols(s.get("children", []), indent + "  ")


def main():
    fusion, path = sys.argv[1], os.path.abspath(sys.argv[2])
    steps = sys.argv[3:]
    uri = "file://" + path
    c = Client(fusion)
    init = c.request("initialize", {"processId": os.getpid(), "rootUri": "file://" + os.path.dirname(path), "capabilities": {}})
    print("server: %s" % init["serverInfo"]["name"])
    c.notify("initialized", {})
    original = open(path).read()
    c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "fusion", "version": 1, "text": original}})
    print_diagnostics(c.diagnostics(uri))
    version = 1
    i = 0
    td = {"uri": uri}
    while i < len(steps):
        step = steps[i]
        i += 1
        if step == "hover":
            where = steps[i]; i += 1
            r = c.request("textDocument/hover", {"textDocument": td, "position": pos(where)})
            print("hover %s: %s" % (where, r["contents"]["value"].replace("\n", " | ") if r else "none"))
        elif step == "definition":
            where = steps[i]; i += 1
            r = c.request("textDocument/definition", {"textDocument": td, "position": pos(where)})
            print("definition %s: %s" % (where, show_location(r) if r else "none"))
        elif step == "references":
            where = steps[i]; i += 1
            r = c.request("textDocument/references", {"textDocument": td, "position": pos(where), "context": {"includeDeclaration": True}})
            print("references %s: %s" % (where, " ".join(show_location(l) for l in r)))
        elif step == "symbols":
            r = c.request("textDocument/documentSymbol", {"textDocument": td})
            print("symbols:")
            print_symbols(r, "  ")
        elif step == "complete":
            where = steps[i]; i += 1
            r = c.request("textDocument/completion", {"textDocument": td, "position": pos(where)})
            items = sorted(r["items"], key=lambda x: x["label"])
            print("complete %s: %s" % (where, ", ".join("%s (%s)" % (x["label"], x.get("detail", "")) for x in items)))
        elif step == "signature":
            where = steps[i]; i += 1
            r = c.request("textDocument/signatureHelp", {"textDocument": td, "position": pos(where)})
            if not r:
                print("signature %s: none" % where)
            else:
                sig = r["signatures"][0]
                b, e = sig["parameters"][r["activeParameter"]]["label"] if r["activeParameter"] < len(sig["parameters"]) else (0, 0)
                print("signature %s: %s [%s]" % (where, sig["label"], sig["label"][b:e]))
        elif step in ("change", "time-change"):
            text = open(steps[i]).read(); i += 1
            rounds = 1
            if step == "time-change":
                rounds = int(steps[i]); i += 1
            times = []
            for k in range(rounds):
                version += 1
                body = text if k % 2 == 0 else original
                start = time.perf_counter()
                c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": body}]})
                diags = c.diagnostics(uri)
                times.append(time.perf_counter() - start)
            if step == "change":
                print_diagnostics(diags)
            else:
                times.sort()
                print("change: median %.1f ms, worst %.1f ms over %d changes" % (1000 * times[len(times) // 2], 1000 * times[-1], rounds))
        else:
            raise SystemExit("lsp_session: unknown step %r" % step)
    c.request("shutdown", None)
    c.notify("exit", None)
    code = c.proc.wait(timeout=10)
    print("exit: %d" % code)
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
