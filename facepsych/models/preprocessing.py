"""Input preprocessing that travels with each weight source.

A network only sees faces the way its weights were trained to see images. The named choices:

- ``imagenet``: RGB in [0, 1], ``(x - mean) / std`` with torchvision's ImageNet statistics
  mean = (0.485, 0.456, 0.406), std = (0.229, 0.224, 0.225).
- ``vggface``: RGB in [0, 255] minus the VGG-Face mean (129.186, 104.762, 93.594), std = 1
  (Parkhi et al. 2015, as in the PyTorch ports of the Caffe model).
- ``half``: RGB in [0, 1], mean = std = 0.5 (the companion code's ``Normalize(0.5, 0.5)``); the
  same as EfficientNet-Lite's ``(v - 127.5) / 127.5``.
- ``dlib``: RGB in [0, 255] minus (122.782, 117.001, 104.298), divided by 256 (dlib's
  ``input_rgb_image``, the input of its face-recognition ResNet).
- ``prewhiten``: facenet's per-image standardisation of the RGB values v in [0, 255]:
  ``(v - mean(v)) / max(std(v), 1 / sqrt(n))`` over all n = 3·S·S values of the image.

For each channel c the tensor is ``t_c = (scale * v_c / 255 - mean_c) / std_c`` where ``v_c`` is the
8-bit pixel value, after resizing the image to ``image_size`` × ``image_size`` (bilinear); with
``per_image`` the result is then standardised per image as ``prewhiten`` says.

Example:
    >>> from PIL import Image
    >>> prep = preprocessing_for("imagenet", image_size=32)
    >>> prep(Image.new("RGB", (40, 50))).shape
    torch.Size([3, 32, 32])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from facepsych.errors import FacepsychError

_NAMED: dict[str, tuple[tuple[float, float, float], tuple[float, float, float], float]] = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 1.0),
    "vggface": ((129.186, 104.762, 93.594), (1.0, 1.0, 1.0), 255.0),
    "half": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5), 1.0),
    "dlib": ((122.782, 117.001, 104.298), (256.0, 256.0, 256.0), 255.0),
    "prewhiten": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), 255.0),
}
_PER_IMAGE: frozenset[str] = frozenset({"prewhiten"})

PREPROCESSING_NAMES: tuple[str, ...] = tuple(_NAMED)


@dataclass(frozen=True)
class Preprocessing:
    """Resize to ``image_size`` square, RGB, ``(scale * v / 255 - mean) / std`` per channel.

    With ``per_image`` the values are then standardised per image:
    ``(x - mean(x)) / max(std(x), 1 / sqrt(n))`` (n = 3·S·S).
    """

    name: str
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    scale: float
    per_image: bool = False

    def array(self, image: Image.Image) -> np.ndarray:
        """The normalised image as a float32 array (3, S, S)."""
        size = int(self.image_size)
        from facepsych.data.images import to_rgb

        rgb = to_rgb(image)
        if rgb.size != (size, size):
            rgb = rgb.resize((size, size), Image.BILINEAR)
        values = np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) * (self.scale / 255.0)
        mean = np.asarray(self.mean, dtype=np.float32)[:, None, None]
        std = np.asarray(self.std, dtype=np.float32)[:, None, None]
        out = (values - mean) / std
        if self.per_image:
            spread = max(float(out.std()), 1.0 / float(np.sqrt(out.size)))
            out = (out - out.mean()) / np.float32(spread)
        return out.astype(np.float32, copy=False)

    def __call__(self, image: Image.Image) -> torch.Tensor:
        """One PIL image -> float tensor (3, S, S)."""
        return torch.from_numpy(np.ascontiguousarray(self.array(image)))

    def batch(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """A list of PIL images -> float tensor (B, 3, S, S)."""
        if len(images) == 0:
            return torch.empty(0, 3, self.image_size, self.image_size)
        return torch.stack([self(img) for img in images])

    def invert(self, tensor: torch.Tensor) -> torch.Tensor:
        """Undo the normalisation: (3, S, S) or (B, 3, S, S) tensor -> RGB values in [0, 1].

        A per-image standardisation cannot be undone without the image's own mean and spread:
        each image is then rescaled to span [0, 1] (min-max), which keeps its look for display.
        """
        if self.per_image:
            dims = (-3, -2, -1)
            low = tensor.amin(dim=dims, keepdim=True)
            high = tensor.amax(dim=dims, keepdim=True)
            return ((tensor - low) / (high - low).clamp_min(1e-12)).clamp(0.0, 1.0)
        mean = torch.tensor(self.mean, dtype=tensor.dtype, device=tensor.device)[:, None, None]
        std = torch.tensor(self.std, dtype=tensor.dtype, device=tensor.device)[:, None, None]
        return ((tensor * std + mean) / self.scale).clamp(0.0, 1.0)

    def as_dict(self) -> dict:
        """Plain fields; ``per_image`` only when set, so fixed-statistics dicts (and the feature
        cache keys made from them) are those of a Preprocessing without the field."""
        out = asdict(self)
        out["mean"] = list(self.mean)
        out["std"] = list(self.std)
        if not self.per_image:
            del out["per_image"]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessing:
        return cls(
            name=str(data["name"]),
            image_size=int(data["image_size"]),
            mean=tuple(float(v) for v in data["mean"]),
            std=tuple(float(v) for v in data["std"]),
            scale=float(data["scale"]),
            per_image=bool(data.get("per_image", False)),
        )


def preprocessing_for(name: str, image_size: int = 224) -> Preprocessing:
    """The named preprocessing (one of ``PREPROCESSING_NAMES``) at ``image_size`` pixels."""
    if name not in _NAMED:
        raise FacepsychError(
            f"unknown preprocessing {name!r}; choose one of: {', '.join(PREPROCESSING_NAMES)}"
        )
    if int(image_size) < 1:
        raise FacepsychError(f"image_size must be a positive integer, got {image_size}")
    mean, std, scale = _NAMED[name]
    return Preprocessing(
        name=name,
        image_size=int(image_size),
        mean=mean,
        std=std,
        scale=scale,
        per_image=name in _PER_IMAGE,
    )
