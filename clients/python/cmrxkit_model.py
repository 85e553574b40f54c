"""Reference client of cmrxkit's external-process model protocol (version 1).

cmrxkit starts your program once, then feeds it one model call at a time over stdin and
reads the answer from stdout. Each message is one line of UTF-8 JSON ending in "\\n",
followed by exactly ``bytes`` bytes of payload: the arrays listed in the header,
little-endian float32, row-major (C order), concatenated in the listed order.

    you   -> cmrxkit  {"type":"hello","protocol":"cmrxkit-model","version":1,"name":...}
    cmrxkit -> you    {"type":"run","id":N,"geometry":{...},"scale":s,"task":...,
                       "output":"image","arrays":[{"name","shape","dtype"}...],"bytes":B}
                      + B bytes
    you   -> cmrxkit  {"type":"result","id":N,"arrays":[{"name","shape","dtype"}],"bytes":B}
                      + B bytes
                      or {"type":"error","id":N,"message":"..."}
    cmrxkit -> you    {"type":"close"}            (then exit)

stdout belongs to the protocol: log to stderr only (cmrxkit shows it prefixed with the
model's name). Standard library and NumPy only.

Usage::

    from cmrxkit_model import serve

    def model_fn(inputs, info):
        # inputs: {manifest input name: float32 ndarray in the manifest's layout}
        # info: {"id", "geometry": {"nx","ny","nc","nt","frames"}, "scale", "task", "output"}
        return inputs["zf"] * 2.0  # the manifest's output, in its layout

    serve(model_fn, name="my-model")
"""

import json
import sys
import traceback

import numpy as np

PROTOCOL = "cmrxkit-model"
VERSION = 1

_F32 = np.dtype("<f4")


def log(*args):
    """Prints to stderr (stdout is the protocol's)."""
    print(*args, file=sys.stderr, flush=True)


def _read_exact(stream, n):
    chunks = []
    left = n
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError(f"stdin closed after {n - left} of {n} payload bytes")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(out, header, payload=b""):
    out.write(json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n")
    if payload:
        out.write(payload)
    out.flush()


def _unpack(header, payload):
    arrays = {}
    offset = 0
    for spec in header.get("arrays", []):
        if spec.get("dtype", "float32") != "float32":
            raise ValueError(f"array {spec['name']}: dtype {spec['dtype']} (only float32)")
        shape = tuple(int(d) for d in spec["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        arr = np.frombuffer(payload, dtype=_F32, count=count, offset=offset)
        arrays[spec["name"]] = arr.reshape(shape)
        offset += 4 * count
    if offset != len(payload):
        raise ValueError(f"the arrays hold {offset} bytes, the header says {len(payload)}")
    return arrays


def serve(model_fn, name="model", stdin=None, stdout=None):
    """Serves cmrxkit's requests until it says close (or closes stdin).

    model_fn(inputs, info) gets the named float32 arrays of one call and returns the
    output array (any float dtype, in the manifest's output layout), or a dict
    {name: array} of outputs. An exception becomes an error reply naming it; the next call
    is served as usual.
    """
    inp = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    _send(out, {"type": "hello", "protocol": PROTOCOL, "version": VERSION, "name": name})
    while True:
        line = inp.readline()
        if not line:
            return  # cmrxkit closed stdin
        msg = json.loads(line.decode("utf-8"))
        kind = msg.get("type")
        if kind == "close":
            return
        if kind != "run":
            log(f"cmrxkit_model: ignoring a message of type {kind!r}")
            continue
        payload = _read_exact(inp, int(msg.get("bytes", 0)))
        call_id = msg.get("id")
        try:
            inputs = _unpack(msg, payload)
            info = {k: msg.get(k) for k in ("id", "geometry", "scale", "task", "output")}
            result = model_fn(inputs, info)
            if not isinstance(result, dict):
                result = {msg.get("output") or "image": result}
            specs = []
            parts = []
            for key, value in result.items():
                arr = np.ascontiguousarray(np.asarray(value), dtype=_F32)
                specs.append({"name": key, "shape": list(arr.shape), "dtype": "float32"})
                parts.append(arr.tobytes())
            data = b"".join(parts)
        except Exception as e:  # reported to cmrxkit, which names the model and the call
            log(traceback.format_exc())
            _send(out, {"type": "error", "id": call_id, "message": f"{type(e).__name__}: {e}"})
            continue
        _send(out, {"type": "result", "id": call_id, "arrays": specs, "bytes": len(data)}, data)
