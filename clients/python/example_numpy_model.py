"""A NumPy "model" for cmrxkit's external-process protocol: the zero-filled image times a
constant (env CMRX_EXAMPLE_FACTOR, default 2).

Its manifest feeds it the role `zerofilled` with layout `T,Y,X,2` (the coil-combined
zero-filled image of the normalised k-space) and declares the output `image` `T,Y,X,2`;
cmrxkit multiplies the returned image back by the slice's scale and takes |x|. The
submitted image is then exactly FACTOR times cmrxkit's own zero-filled magnitude, which is
what the tests check.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cmrxkit_model import log, serve  # noqa: E402

FACTOR = float(os.environ.get("CMRX_EXAMPLE_FACTOR", "2"))


def model_fn(inputs, info):
    zf = inputs["zf"]  # T,Y,X,2 float32
    g = info.get("geometry") or {}
    log(f"example: call {info['id']} {info['task']} {g.get('nx')}x{g.get('ny')} frames {g.get('frames')}")
    out = zf * FACTOR
    if os.environ.get("CMRX_EXAMPLE_TRANSPOSE"):  # a wrong output layout, for the tests
        out = out.transpose(0, 2, 1, 3)
    return out


if __name__ == "__main__":
    serve(model_fn, name="example-numpy")
