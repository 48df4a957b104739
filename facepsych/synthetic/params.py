"""Parameters of a synthetic face: identity, expression weights per region, and nuisance.

All distances are in *canonical face units*: the face is drawn in the unit square [0, 1]² (x to
the right, y down), centred at x = 0.5, before pose and scale put it into the image. Every value
is drawn deterministically from a seed, so ``sample_identity(7)`` is the same person everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np

from facepsych.errors import FacepsychError

RGB = tuple[float, float, float]

#: Hair styles by index: what :func:`facepsych.synthetic.render.render_face` draws for each.
HAIR_STYLES = ("short", "fringe", "long", "side_part", "buzz")

_SKIN_TONES = np.array(
    [
        (0.98, 0.86, 0.76),
        (0.95, 0.80, 0.67),
        (0.89, 0.72, 0.58),
        (0.80, 0.61, 0.46),
        (0.68, 0.49, 0.35),
        (0.55, 0.38, 0.27),
        (0.42, 0.29, 0.21),
    ]
)
_HAIR_COLOURS = np.array(
    [
        (0.10, 0.08, 0.07),
        (0.22, 0.15, 0.10),
        (0.40, 0.26, 0.15),
        (0.62, 0.45, 0.25),
        (0.85, 0.72, 0.45),
        (0.55, 0.22, 0.10),
        (0.60, 0.60, 0.60),
    ]
)
_IRIS_COLOURS = np.array(
    [
        (0.30, 0.18, 0.10),
        (0.45, 0.28, 0.14),
        (0.25, 0.40, 0.60),
        (0.30, 0.50, 0.35),
        (0.45, 0.45, 0.35),
        (0.15, 0.10, 0.08),
    ]
)


def _rng(rng_or_seed: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng_or_seed, np.random.Generator):
        return rng_or_seed
    if rng_or_seed is None:
        rng_or_seed = 0
    if not isinstance(rng_or_seed, int | np.integer) or rng_or_seed < 0:
        raise FacepsychError(f"seed must be a non-negative integer, got {rng_or_seed!r}")
    return np.random.default_rng(int(rng_or_seed))


def _colour(rng: np.random.Generator, palette: np.ndarray, jitter: float) -> RGB:
    i = int(rng.integers(len(palette)))
    c = np.clip(palette[i] + rng.normal(0.0, jitter, 3), 0.0, 1.0)
    return (float(c[0]), float(c[1]), float(c[2]))


@dataclass(frozen=True)
class FaceParams:
    """One synthetic identity (canonical face units; colours RGB in 0–1).

    The face outline is a superellipse: jaw point ``t`` ∈ [0, π] sits at
    ``x = 0.5 ∓ face_width·|cos t|^(2/jaw_shape)``,
    ``y = eye_y + 0.01 + face_length·sin(t)^(2/jaw_shape)``
    (``jaw_shape`` 2 = oval, larger = squarer jaw, smaller = pointed chin).
    """

    face_width: float = 0.27
    face_length: float = 0.33
    jaw_shape: float = 2.2
    crown_height: float = 0.31
    eye_y: float = 0.44
    skin: RGB = (0.89, 0.72, 0.58)
    hair: RGB = (0.22, 0.15, 0.10)
    hair_style: int = 0
    hair_volume: float = 0.03
    eye_spacing: float = 0.105
    eye_width: float = 0.05
    eye_height: float = 0.022
    eye_tilt: float = 0.05
    iris: RGB = (0.30, 0.18, 0.10)
    iris_size: float = 0.6
    brow_height: float = 0.055
    brow_thickness: float = 0.014
    brow_arch: float = 0.012
    nose_length: float = 0.15
    nose_width: float = 0.04
    mouth_gap: float = 0.075
    mouth_width: float = 0.075
    lip_thickness: float = 0.016
    lip: RGB = (0.75, 0.40, 0.40)
    ear_size: float = 1.0
    clothes: RGB = (0.25, 0.35, 0.55)
    anger: float = 0.7

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping) -> FaceParams:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise FacepsychError(f"unknown face parameter(s): {', '.join(unknown)}")
        kw = {k: (tuple(v) if isinstance(v, list | tuple) else v) for k, v in d.items()}
        return cls(**kw)


def sample_identity(rng_or_seed: np.random.Generator | int | None = 0) -> FaceParams:
    """Draw an identity. An int seeds a fresh generator: the same seed gives the same face."""
    rng = _rng(rng_or_seed)
    u = rng.uniform
    skin = _colour(rng, _SKIN_TONES, 0.02)
    hair = _colour(rng, _HAIR_COLOURS, 0.03)
    lip_base = np.array(skin) * np.array([0.85, 0.55, 0.55]) + np.array([0.08, 0.0, 0.02])
    lip = tuple(float(x) for x in np.clip(lip_base + rng.normal(0, 0.03, 3), 0, 1))
    clothes = tuple(float(x) for x in rng.uniform(0.1, 0.8, 3))
    return FaceParams(
        face_width=u(0.225, 0.265),
        face_length=u(0.32, 0.37),
        jaw_shape=u(1.7, 3.0),
        crown_height=u(0.28, 0.32),
        eye_y=u(0.425, 0.455),
        skin=skin,
        hair=hair,
        hair_style=int(rng.integers(len(HAIR_STYLES))),
        hair_volume=u(0.015, 0.05),
        eye_spacing=u(0.092, 0.11),
        eye_width=u(0.046, 0.058),
        eye_height=u(0.024, 0.032),
        eye_tilt=u(-0.08, 0.15),
        iris=_colour(rng, _IRIS_COLOURS, 0.04),
        iris_size=u(0.52, 0.68),
        brow_height=u(0.048, 0.066),
        brow_thickness=u(0.013, 0.022),
        brow_arch=u(0.004, 0.02),
        nose_length=u(0.13, 0.165),
        nose_width=u(0.036, 0.05),
        mouth_gap=u(0.065, 0.085),
        mouth_width=u(0.062, 0.088),
        lip_thickness=u(0.011, 0.021),
        lip=lip,
        ear_size=u(0.85, 1.15),
        clothes=clothes,
        anger=u(0.4, 1.0),
    )


@dataclass(frozen=True)
class RegionWeights:
    """How much of the expression each region shows: region expression = clip(w·e, −1, 1).

    ``RegionWeights(brows=0, eyes=1, mouth=0)`` puts the whole valence signal in the eyes.
    """

    brows: float = 1.0
    eyes: float = 1.0
    mouth: float = 1.0

    def apply(self, expression: float) -> dict[str, float]:
        e = float(expression)
        return {
            "brows": float(np.clip(self.brows * e, -1, 1)),
            "eyes": float(np.clip(self.eyes * e, -1, 1)),
            "mouth": float(np.clip(self.mouth * e, -1, 1)),
        }

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def coerce(cls, w: RegionWeights | Mapping | str | None) -> RegionWeights:
        """Accept a RegionWeights, a mapping, a ``"brows=0,eyes=1,mouth=0.5"`` string or None."""
        if w is None:
            return cls()
        if isinstance(w, RegionWeights):
            return w
        if isinstance(w, str):
            w = cls._parse(w)
        unknown = sorted(set(w) - {"brows", "eyes", "mouth"})
        if unknown:
            raise FacepsychError(
                f"unknown expression region(s): {', '.join(unknown)} (use brows, eyes, mouth)"
            )
        return cls(**{k: float(v) for k, v in w.items()})

    @staticmethod
    def _parse(text: str) -> dict[str, float]:
        out = {}
        for part in filter(None, (t.strip() for t in text.split(","))):
            key, sep, val = part.partition("=")
            try:
                if not sep:
                    raise ValueError
                out[key.strip()] = float(val)
            except ValueError:
                raise FacepsychError(
                    f"bad region weight {part!r}; write e.g. 'brows=0,eyes=1,mouth=0'"
                ) from None
        return out


#: Background kinds by index (see :mod:`facepsych.synthetic.textures`).
BACKGROUNDS = ("plain", "gradient", "blobs", "stripes", "checker")


@dataclass(frozen=True)
class Nuisance:
    """Image-level variation that carries no identity or expression information.

    Pose: points p (canonical) map to pixels as ``size·(c + scale·R(rotation)·(p − c) + shift)``
    with c = (0.5, 0.5); ``yaw`` shifts inner features sideways by ``0.05·yaw·depth``.
    Lighting multiplies the image by ``ambient·(1 + light·((x−½)cos θ + (y−½)sin θ)·2)``;
    ``noise`` is the s.d. of added Gaussian pixel noise (0–255 units).
    The default is the canonical, noiseless, frontal face on a plain grey background.
    """

    rotation: float = 0.0
    scale: float = 1.0
    shift: tuple[float, float] = (0.0, 0.0)
    yaw: float = 0.0
    light_angle: float = 0.0
    light: float = 0.0
    ambient: float = 1.0
    background: str = "plain"
    background_colour: RGB = (0.55, 0.55, 0.55)
    background_colour2: RGB = (0.70, 0.70, 0.70)
    texture_seed: int = 0
    noise: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def sample_nuisance(rng_or_seed: np.random.Generator | int | None = 0, strength: float = 1.0):
    """Draw a :class:`Nuisance`; ``strength`` 0 gives the default, 1 the full ranges:
    rotation ±8°, scale 0.9–1.08, shift ±0.04, yaw ±0.6, light ≤ 0.25, ambient 0.8–1.15,
    noise ≤ 6 (0–255), one of :data:`BACKGROUNDS` with random colours.
    """
    rng = _rng(rng_or_seed)
    s = float(strength)
    if s < 0:
        raise FacepsychError(f"nuisance strength must be >= 0, got {strength}")
    u = rng.uniform
    bg = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))] if s > 0 else "plain"
    c1 = tuple(float(x) for x in rng.uniform(0.15, 0.9, 3))
    c2 = tuple(float(x) for x in np.clip(np.array(c1) + rng.normal(0, 0.25, 3), 0, 1))
    return Nuisance(
        rotation=u(-8, 8) * s,
        scale=1.0 + u(-0.1, 0.08) * s,
        shift=(u(-0.04, 0.04) * s, u(-0.04, 0.04) * s),
        yaw=u(-0.6, 0.6) * s,
        light_angle=u(0, 2 * np.pi),
        light=u(0, 0.25) * s,
        ambient=1.0 + u(-0.2, 0.15) * s,
        background=bg,
        background_colour=c1 if s > 0 else (0.55, 0.55, 0.55),
        background_colour2=c2 if s > 0 else (0.70, 0.70, 0.70),
        texture_seed=int(rng.integers(2**31)),
        noise=u(0, 6) * s,
    )
