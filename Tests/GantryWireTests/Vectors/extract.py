#!/usr/bin/env python3
"""Rebuilds the test vectors from the captured Buildbot 4.3 worker-protocol transcripts.

Usage: extract.py TRANSCRIPTS_DIR

For each NAME.frames.jsonl it writes NAME.msgs beside this script: every binary WebSocket
message in capture order, as one direction byte (0: worker to master, 1: master to worker),
a 4-byte big-endian length and the unmasked msgpack payload.
"""
import glob
import json
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.frames.jsonl"))):
    name = os.path.basename(path)[: -len(".frames.jsonl")]
    out = bytearray()
    with open(path) as frames:
        for line in frames:
            frame = json.loads(line)
            if frame.get("kind") == "http" or frame.get("opcode") != 2:
                continue
            payload = bytes.fromhex(frame["payload_hex"])
            direction = 0 if frame["dir"] == "worker->master" else 1
            out += struct.pack(">BI", direction, len(payload)) + payload
    if out:
        with open(os.path.join(here, name + ".msgs"), "wb") as target:
            target.write(out)
