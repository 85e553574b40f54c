"""The papers' models, by name: ``REGISTRY = {name: class}``.

Every registered class follows one contract (``train.py``, ``export.py`` and the parity
test rely on it):

- ``cls(**kwargs)`` builds the model with the paper's hyper-parameters as defaults;
- ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X], sens [B,C,Y,X,2]) -> image [B,T,Y,X,2]``
  (complex, coil-combined, at the input's scale); only ops that export at opset 17
  (no ``torch.fft``, no complex dtypes); any Y, X;
- ``cls.test_config() -> dict``: constructor arguments of a small, fast instance (tests);
- ``cls.FRAMES``: the frame / weighting count an export unrolls for (12 cine, 9 T1, 3 T2);
- optional ``describe(self) -> str``: the manifest's ``architecture`` line;
- optional ``SERVES``: the manifest's default ``serves`` dict (else cine sax+lax, R 4/8/10);
- optional ``loss(self, batch, out, stage) -> (total, {name: float})``: replaces the
  config's loss; optional ``set_stage(self, name)``: called at each training stage start;
- optional ``forward_batch(self, batch) -> out``: what training calls instead of
  ``forward(kspace, mask, sens)`` (e.g. to use ``batch["times"]``).

Add a model with one import and one entry below.
"""

from .crnn_mri import CRNN
from .crnn_refine import CRNNRefine
from .crunet_mr import CRUNetMR
from .crunet_fb import CRUNetFB
from .relax_vn import RelaxVNT1, RelaxVNT2
from .unet3d_mr import UNet3DMR

REGISTRY = {
    "crnn": CRNN,
    "crunet": CRUNetMR,
    "crunet_fb": CRUNetFB,
    "crnn_refine": CRNNRefine,
    "unet3d": UNet3DMR,
    "relax_vn_t1": RelaxVNT1,
    "relax_vn_t2": RelaxVNT2,
}


def get(name: str):
    """The registered class ``name``.

    :raises KeyError: naming the registered models
    """
    if name not in REGISTRY:
        raise KeyError(f"unknown model {name!r}; registered: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def build(name: str, **kwargs):
    """An instance of the registered model ``name`` with ``kwargs``."""
    return get(name)(**kwargs)


def count_parameters(model) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
