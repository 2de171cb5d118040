#!/usr/bin/env python3
"""Reads or writes one persisted field of a Tandem plugin's state inside a saved Ardour 7 session.

Ardour keeps a VST3 plugin's state in the session file as base64 of a VST3 preset: "VST3",
version, class ID, the offset of a chunk list; the component state ("Comp", nice-plug's JSON:
{"version", "params", "fields"}) and the controller state ("Cont") it lists.

usage: plugin_state.py get SESSION.ardour "Tandem EQ" FIELD          (prints the field's value)
       plugin_state.py set SESSION.ardour "Tandem EQ" FIELD FILE     (the file's text becomes it)
"""
import base64
import json
import re
import struct
import sys


def parse(raw):
    assert raw[:4] == b"VST3", "not a VST3 preset"
    class_id = raw[8:40]
    list_at = struct.unpack("<q", raw[40:48])[0]
    assert raw[list_at : list_at + 4] == b"List", "no chunk list"
    n = struct.unpack("<i", raw[list_at + 4 : list_at + 8])[0]
    chunks = []
    for k in range(n):
        e = raw[list_at + 8 + 20 * k : list_at + 28 + 20 * k]
        at, size = struct.unpack("<qq", e[4:20])
        chunks.append((e[:4], raw[at : at + size]))
    return class_id, chunks


def build(class_id, chunks):
    body, entries, at = b"", [], 48
    for cid, data in chunks:
        entries.append((cid, at, len(data)))
        body += data
        at += len(data)
    out = b"VST3" + struct.pack("<i", 1) + class_id + struct.pack("<q", at) + body
    out += b"List" + struct.pack("<i", len(entries))
    for cid, off, size in entries:
        out += cid + struct.pack("<qq", off, size)
    return out


def processor_chunk(text, plugin):
    start = text.rfind("<Processor ", 0, text.index(f'name="{plugin}"') + 1)
    end = text.index("</Processor>", start)
    m = re.search(r"<chunk>([^<]*)</chunk>", text[start:end])
    assert m, f"no state chunk for {plugin}"
    return start + m.start(1), start + m.end(1), m.group(1)


def main():
    mode, session, plugin, field = sys.argv[1:5]
    text = open(session, encoding="utf-8").read()
    a, b, chunk = processor_chunk(text, plugin)
    class_id, chunks = parse(base64.b64decode(chunk))
    comp = dict(chunks)[b"Comp"]
    state = json.loads(comp)
    if mode == "get":
        print(state.get("fields", {}).get(field, ""))
        return
    state.setdefault("fields", {})[field] = open(sys.argv[5], encoding="utf-8").read()
    new_comp = json.dumps(state, separators=(",", ":")).encode()
    chunks = [(cid, new_comp if cid == b"Comp" else data) for cid, data in chunks]
    encoded = base64.b64encode(build(class_id, chunks)).decode()
    open(session, "w", encoding="utf-8").write(text[:a] + encoded + text[b:])
    print("set", plugin, field, len(new_comp), "bytes of state")


main()
