"""FacepsychNet: a torchvision CNN split into a frozen backbone and a trainable head.

``build_model(arch, weights)`` is the one entry point. The network keeps torchvision's module paths
(``features.11`` is AlexNet's conv5 ReLU, ``classifier.6`` its last Linear) so checkpoint keys and
CAM layer names are torchvision's; feature-excitation blocks live in ``net.excite`` and are applied
by :meth:`FacepsychNet.backbone` / :meth:`FacepsychNet.head`, never inside ``features``.

    backbone(x) = flatten(avgpool(features(x)))       (conv excitation applied in between)
    head(z)     = classifier(standardize(z))          (pool5 / fc6 excitation applied in between)
    forward(x)  = head(backbone(x))

``standardize`` is the identity unless the net is built with ``standardize=True``: then it is a
fixed per-feature affine map (z − mean) / std whose statistics the transfer training sets from the
training images' frozen features (:class:`FeatureStandardizer`). It changes no pre-trained tensor;
it only puts every feature of the frozen backbone on the same scale before the trainable head.

FE-AlexNet default (``excitation=("pool5",)``, ``reduction=16``): the paper's FE-AlexNet is the
object-based (ImageNet) AlexNet with feature excitation added before its classifier. One SE block
on the 256×6×6 pool5 map re-weights conv5's channels (which object-trained features matter for
valence) while the whole convolutional backbone stays frozen and therefore cacheable, so it trains
as cheaply as a plain transfer head. r = 16 is the SE paper's default ratio (Hu et al. 2018) and
gives a 256→16→256 bottleneck (8 192 weights); the companion's ablation varies r over 2…32 and the
position over conv1…conv5, pool5 and fc6, all available here.

Example:
    >>> import torch
    >>> net = build_model("fe-alexnet", hidden=64, seed=0)
    >>> net(torch.zeros(1, 3, 224, 224)).shape
    torch.Size([1, 2])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

from facepsych.errors import FacepsychError
from facepsych.models.excitation import (
    CONV_POSITIONS,
    FC6_AFTER,
)
from facepsych.models.parts import excitation_blocks, panel_parts, torchvision_parts
from facepsych.models.preprocessing import Preprocessing, preprocessing_for
from facepsych.models.registry import panel
from facepsych.models.sources import parse_weights
from facepsych.models.spec import NetSpec
from facepsych.models.weights import WeightInfo, load_weights


class FeatureStandardizer(nn.Module):
    """Fixed per-feature standardisation of the backbone output: ``(z − mean) / std``.

    ``mean`` and ``std`` are buffers (saved in the state dict, never trained), identity (0 and 1)
    until :meth:`set_statistics` fills them from training features. Features whose spread is
    below ``floor`` × the median spread (dead or constant units) are divided by that floor
    instead, so a unit that never fired in training cannot blow up on a test image.
    """

    def __init__(self, dim: int, floor: float = 0.01) -> None:
        super().__init__()
        self.dim = int(dim)
        self.floor = float(floor)
        self.register_buffer("mean", torch.zeros(self.dim))
        self.register_buffer("std", torch.ones(self.dim))

    @torch.no_grad()
    def set_statistics(self, feats: torch.Tensor, *, chunk: int = 4096) -> None:
        """Set mean / std from ``feats`` (N, dim) (population s.d., floored as above)."""
        feats = torch.as_tensor(feats)
        if feats.ndim != 2 or feats.shape[1] != self.dim or feats.shape[0] < 2:
            raise FacepsychError(
                f"feature statistics need at least 2 rows of {self.dim} features, "
                f"got shape {tuple(feats.shape)}"
            )
        self.set_statistics_from(feats[a : a + chunk] for a in range(0, len(feats), chunk))

    @torch.no_grad()
    def set_statistics_from(self, batches: Iterable[torch.Tensor]) -> None:
        """Set mean / std from feature batches (each (n_b, dim)) without holding them all.

        Chan et al.'s pairwise update in float64, per batch b with n_b rows, mean m_b and
        M2_b = Σ (z − m_b)²:  n = n_a + n_b,  δ = m_b − m_a,  m = m_a + δ·n_b / n,
        M2 = M2_a + M2_b + δ²·n_a·n_b / n;  finally std = √(M2 / n) (population s.d.)."""
        n = 0
        mean = torch.zeros(self.dim, dtype=torch.float64)
        m2 = torch.zeros(self.dim, dtype=torch.float64)
        for batch in batches:
            b = torch.as_tensor(batch).to(torch.float64)
            if b.ndim != 2 or b.shape[1] != self.dim:
                raise FacepsychError(
                    f"feature statistics need rows of {self.dim} features, "
                    f"got a batch of shape {tuple(b.shape)}"
                )
            nb = b.shape[0]
            if nb == 0:
                continue
            mb = b.mean(0)
            m2b = ((b - mb) ** 2).sum(0)
            total = n + nb
            delta = mb - mean
            mean = mean + delta * (nb / total)
            m2 = m2 + m2b + delta**2 * (n * nb / total)
            n = total
        if n < 2:
            raise FacepsychError(
                f"feature statistics need at least 2 rows of {self.dim} features, got {n}"
            )
        std = (m2 / n).sqrt().to(torch.float32)
        mean = mean.to(torch.float32)
        positive = std[std > 0]
        floor = float(positive.median()) * self.floor if len(positive) else 1.0
        self.mean.copy_(mean)
        self.std.copy_(std.clamp_min(max(floor, 1e-12)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"dim={self.dim}, floor={self.floor}"


class FacepsychNet(nn.Module):
    """A torchvision ``features`` + ``avgpool`` + ``classifier`` network with excitation blocks.

    Build it with :func:`build_model`. Class index 1 = positive valence, 0 = negative.
    """

    def __init__(
        self,
        arch: str,
        features: nn.Module,
        avgpool: nn.Module,
        classifier: nn.Module,
        excite: nn.ModuleDict,
        preprocessing: Preprocessing,
        config: dict,
    ) -> None:
        super().__init__()
        self.arch = arch
        self.features = features
        self.avgpool = avgpool
        self.classifier = classifier
        self.excite = excite
        self.standardize: FeatureStandardizer | None = None
        if config.get("standardize"):
            self.standardize = FeatureStandardizer(_head_input_width(classifier, excite))
        self.preprocessing = preprocessing
        self.weight_info = WeightInfo(source="random", path=None, sha256=None, loaded_keys=0)
        self._config = dict(config)
        self._frozen = False
        self._conv_excite = {CONV_POSITIONS[k]: k for k in excite if k in CONV_POSITIONS}

    # ------------------------------------------------------------------ forward passes
    def backbone(self, x: torch.Tensor) -> torch.Tensor:
        """Input (B, 3, S, S) -> flattened pooled features (B, D): the cacheable part."""
        if self._conv_excite:
            for idx, layer in enumerate(self.features):
                x = layer(x)
                name = self._conv_excite.get(idx)
                if name is not None:
                    x = self.excite[name](x)
        else:
            x = self.features(x)
        x = self.avgpool(x)
        return torch.flatten(x, 1)

    def head(self, z: torch.Tensor) -> torch.Tensor:
        """Backbone output (B, D) -> logits (B, num_classes): standardisation (when built with
        it), pool5/fc6 excitation, classifier."""
        if self.standardize is not None:
            z = self.standardize(z)
        if "pool5" in self.excite:
            block = self.excite["pool5"]
            size = self.avgpool.output_size  # AlexNet: (6, 6)
            z = block(z.reshape(z.shape[0], block.channels, *_pair(size))).flatten(1)
        if "fc6" not in self.excite:
            return self.classifier(z)
        for idx, layer in enumerate(self.classifier):
            z = layer(z)
            if idx == FC6_AFTER:
                z = self.excite["fc6"](z)
        return z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))

    # ------------------------------------------------------------------ state
    @property
    def cacheable(self) -> bool:
        """True when nothing trainable sits inside :meth:`backbone` (its outputs can be cached)."""
        params = list(self.features.parameters()) + list(self.avgpool.parameters())
        for name in self._conv_excite.values():
            params += list(self.excite[name].parameters())
        return not any(p.requires_grad for p in params)

    @property
    def num_classes(self) -> int:
        return int(self._config["num_classes"])

    def train(self, mode: bool = True) -> FacepsychNet:
        """Like ``nn.Module.train``, but a frozen ``features`` stays in eval mode (BN, dropout)."""
        super().train(mode)
        if self._frozen:
            self.features.eval()
        return self

    def spec(self) -> dict:
        """JSON-able description; ``build_model(**net.spec())`` rebuilds the same architecture."""
        out = dict(self._config)
        if out.get("excitation") is not None:
            out["excitation"] = list(out["excitation"])
        return out


def _head_input_width(classifier: nn.Module, excite: nn.ModuleDict) -> int:
    """Width D of the backbone output the head takes (the first Linear's ``in_features``)."""
    layers = list(classifier) if isinstance(classifier, nn.Sequential) else [classifier]
    for m in layers:
        if isinstance(m, nn.Linear):
            return int(m.in_features)
    raise FacepsychError("this architecture's classifier has no Linear layer to standardise for")


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


# ---------------------------------------------------------------------- freezing
def freeze_backbone(net: FacepsychNet) -> FacepsychNet:
    """Freeze ``features``: ``requires_grad = False`` and eval mode (BN statistics, dropout).

    Excitation blocks and the classifier stay trainable.
    """
    for p in net.features.parameters():
        p.requires_grad_(False)
    net._frozen = True
    net._config["freeze"] = True
    net.features.eval()
    return net


def trainable_parameters(net: nn.Module) -> list[nn.Parameter]:
    """The parameters an optimiser should update (``requires_grad`` True)."""
    return [p for p in net.parameters() if p.requires_grad]


def count_parameters(net: nn.Module) -> tuple[int, int]:
    """(trainable, frozen) parameter counts."""
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in net.parameters() if not p.requires_grad)
    return trainable, frozen


def _default_preprocessing(arch: str, weights: str) -> tuple[str, int]:
    """(preprocessing name, input size) of ``arch`` with ``weights`` (the registry's)."""
    known = panel()
    if arch in known:
        return known[arch].preprocessing, int(known[arch].input_size)
    return ("vggface" if parse_weights(weights).kind == "vggface" else "imagenet"), 224


def build_model(
    arch: str | NetSpec,
    weights: str = "random",
    *,
    num_classes: int = 2,
    hidden: int | None = None,
    excitation: Sequence[str] | None = None,
    reduction: int = 16,
    freeze: bool = True,
    seed: int | None = None,
    preprocessing: str | None = None,
    image_size: int | None = None,
    standardize: bool = False,
) -> FacepsychNet:
    """Build ``arch`` with ``weights`` and a ``num_classes`` head; or ``build_model(spec)`` for a
    :class:`~facepsych.models.NetSpec` (the same fields).

    Args:
        arch: ``alexnet``, ``vgg11``, ``vgg13``, ``vgg16``, ``fe-alexnet``, a panel arch of
            :mod:`facepsych.models.archs` or another torchvision classifier with ``features`` +
            ``classifier`` (``vgg19``, ``vgg16_bn``, ``mobilenet_v2``).
        weights: a weights spelling (:func:`facepsych.models.parse_weights`): ``random`` |
            ``imagenet`` | ``imagenet:PATH`` | ``file:PATH`` | ``vggface:PATH`` | a packaged
            name (``dlib``, ``casia-webface``) for a panel arch.
        num_classes: outputs of the new last Linear (2: index 1 = positive valence).
        hidden: width of the classifier's hidden layers (None: the arch's own, 4096 in the
            paper's archs and the panel's head).
        excitation: fe-alexnet positions among conv1…conv5, pool5, fc6 (None: ``("pool5",)``).
        reduction: SE reduction ratio r (bottleneck C // r).
        freeze: freeze ``features`` (see :func:`freeze_backbone`).
        seed: makes the random initialisation deterministic (global RNG left untouched).
        preprocessing: ``imagenet`` | ``vggface`` | ``half`` | …; None: the weight source's own.
        image_size: input size of the preprocessing; None: the arch's own (224 for torchvision).
        standardize: put a :class:`FeatureStandardizer` before the head (identity until the
            transfer training sets its statistics from the training features).
    """
    if isinstance(arch, NetSpec):
        return build_model(arch.arch, arch.weights, **arch.kwargs())
    if int(num_classes) < 1:
        raise FacepsychError(f"num_classes must be a positive integer, got {num_classes}")
    if hidden is not None and int(hidden) < 1:
        raise FacepsychError(f"hidden must be a positive integer, got {hidden}")
    src = parse_weights(weights)
    if src.kind == "pretrained":
        raise FacepsychError(
            f"weights {weights!r} name a study pre-training; the study runner turns them into "
            "file:PATH (build the net with that spelling)"
        )
    is_panel = arch in panel()
    if src.kind == "packaged" and not is_panel:
        raise FacepsychError(f"{src.name} weights belong to a packaged net, not to {arch!r}")
    default_prep, default_size = _default_preprocessing(arch, weights)
    prep_name = preprocessing or default_prep
    size = default_size if image_size is None else int(image_size)
    prep = preprocessing_for(prep_name, size)

    def _build() -> FacepsychNet:
        if is_panel:
            features, avgpool, classifier = panel_parts(arch, int(num_classes), hidden)
        else:
            features, avgpool, classifier = torchvision_parts(arch, int(num_classes), hidden)
        excite, positions = excitation_blocks(arch, excitation, reduction, classifier)
        config = {
            "arch": arch,
            "weights": weights,
            "num_classes": int(num_classes),
            "hidden": None if hidden is None else int(hidden),
            "excitation": positions,
            "reduction": int(reduction),
            "freeze": bool(freeze),
            "seed": seed,
            "preprocessing": prep_name,
            "image_size": size,
            "standardize": bool(standardize),
        }
        return FacepsychNet(arch, features, avgpool, classifier, excite, prep, config)

    if seed is None:
        net = _build()
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            net = _build()
    if is_panel and (src.kind == "packaged" or (src.kind == "imagenet" and src.path is None)):
        from facepsych.models.archs import load_packaged_weights

        net.weight_info = load_packaged_weights(net.features, arch, src.name or "imagenet")
    elif src.kind != "random":
        net.weight_info = load_weights(net, weights)
    if freeze:
        freeze_backbone(net)
    return net
