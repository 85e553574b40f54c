"""Shared check of the ``temporal_wrap`` option (CRNN-MRI and the CRUNet-MR family)."""

import torch

FIVE_FRAMES_WRAPPED_BY_2 = torch.tensor([3, 4, 0, 1, 2, 3, 4, 0, 1])
"""Frames of a 5-frame sequence extended circularly by 2 on each side."""


def check_circular_context(case, plain, wrapped, k, m, s):
    """Asserts on ``case`` (a TestCase) that ``wrapped`` (the same weights as ``plain``,
    ``temporal_wrap=2``) equals ``plain`` on the circularly extended 5-frame sequence
    cropped back to frames 2..6, and differs from ``plain`` on the sequence as given."""
    with torch.no_grad():
        out = wrapped(k, m, s)
        idx = FIVE_FRAMES_WRAPPED_BY_2
        want = plain(k[:, idx], m[:, idx], s)[:, 2:7]
        base = plain(k, m, s)
    case.assertEqual(tuple(out.shape), tuple(base.shape))
    case.assertLess(float((out - want).abs().max()), 1e-5)
    case.assertGreater(float((out[:, 0] - base[:, 0]).abs().max()), 1e-6)
