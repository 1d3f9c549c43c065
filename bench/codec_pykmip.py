#!/usr/bin/python3
"""Peer benchmark: PyKMIP's own TTLV codec on the same frames as bench/codec.ts.

Input: a file of records `kind(1 byte: 0 request, 1 response) | length(4, big-endian) | frame`.
Decodes each frame with PyKMIP's RequestMessage/ResponseMessage.read and re-encodes it with
.write; frames PyKMIP cannot parse are left out of the timed subset (their indexes are reported
so the Node side can time the same subset). Prints one JSON object on stdout.

Run by bench/codec.ts with Debian's /usr/bin/python3 (python3-pykmip 0.10).
"""
import json
import logging
import struct
import sys
import time

from kmip.core import utils
from kmip.core.messages import contents, messages

logging.disable(logging.CRITICAL)


def load(path):
    frames = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        kind = data[pos]
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        frames.append((kind, bytes(data[pos + 5:pos + 5 + length])))
        pos += 5 + length
    return frames


def decode(kind, frame):
    msg = messages.RequestMessage() if kind == 0 else messages.ResponseMessage()
    msg.read(utils.BytearrayStream(frame))
    return msg


def version_of(kind, msg):
    header = msg.request_header if kind == 0 else msg.response_header
    return contents.protocol_version_to_kmip_version(header.protocol_version)


def encode(kind, msg, version):
    out = utils.BytearrayStream()
    msg.write(out, kmip_version=version)
    return out.buffer


def timed(fn, min_seconds):
    """Run fn() (one pass over the subset) until min_seconds elapse.

    Returns a dict of passes, wall seconds and CPU seconds of this process."""
    passes = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while True:
        fn()
        passes += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            return {"passes": passes, "seconds": elapsed, "cpu_seconds": time.process_time() - c0}


def main():
    path = sys.argv[1]
    min_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    frames = load(path)
    ok, exact = [], 0
    for i, (kind, frame) in enumerate(frames):
        try:
            msg = decode(kind, frame)
            version = version_of(kind, msg)
            if version is None:
                continue
            again = encode(kind, msg, version)
        except Exception:  # noqa: BLE001 - any failure just leaves the frame out of the subset
            continue
        ok.append(i)
        if bytes(again) == frame:
            exact += 1
    subset = [frames[i] for i in ok]
    nbytes = sum(len(f) for _, f in subset)

    def decode_all():
        for kind, frame in subset:
            decode(kind, frame)

    parsed = [(kind, decode(kind, frame)) for kind, frame in subset]
    versions = [version_of(kind, msg) for kind, msg in parsed]

    def encode_all():
        for (kind, msg), version in zip(parsed, versions):
            encode(kind, msg, version)

    decode_timing = timed(decode_all, min_seconds)
    encode_timing = timed(encode_all, min_seconds)
    print(json.dumps({
        "frames": len(frames),
        "parsed": ok,
        "exact": exact,
        "bytes": nbytes,
        "decode": decode_timing,
        "encode": encode_timing,
    }))


if __name__ == "__main__":
    main()
