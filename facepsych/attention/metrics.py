"""Saliency-map vs human-fixation metrics, as defined in the MIT saliency benchmark code.

Following Bylinskii et al.'s ``code_forMetrics`` (MATLAB): the saliency map S is resized to the
fixation map's size first (bicubic upsampling / area downsampling here, ``imresize`` there).
F is a binary fixation map (a pixel counts once however often it was fixated), Q a fixation
density map; ``fixations`` may be given as (N, 2) x, y points (see :mod:`.fixations`).

- NSS  = mean over fixated pixels of (S − mean S) / std S, std with N − 1 (MATLAB ``std``).
- CC   = Pearson correlation of S and Q.
- SIM  = Σ min(Ŝ, Q̂), each map min–max normalised then scaled to sum 1 (histogram intersection).
- KL   = Σ Q' log(ε + Q' / (S' + ε)), S', Q' scaled to sum 1, ε = 2.2204e-16.
- AUC-Judd: thresholds at the saliency values of the fixated pixels; TP = i / N_f,
  FP = (#{S ≥ t_i} − i) / (N_pix − N_f); trapezoidal area; S jittered by U(0, 1e-7) to break ties.
- AUC-Borji: per split, N_f pixels drawn uniformly (with replacement) as negatives; thresholds
  0 : step : max, TP = #{S_fix ≥ t}/N_f, FP = #{S_neg ≥ t}/N_f; mean area over ``n_splits``.
- shuffled AUC: as AUC-Borji, the negatives drawn without replacement from the fixated pixels of
  *other* images (``other``), min(N_f, N_other) of them per split.

All random draws are seeded (``seed``). A constant saliency map (no contrast) gets AUC 0.5 (the
MATLAB code divides 0 by 0 there and returns NaN, or, for AUC-Judd, a jitter-driven ~0.5), and
NaN for NSS and CC. Empty fixations are an error, not NaN.
"""

from __future__ import annotations

import cv2
import numpy as np

from facepsych.attention.fixations import as_fixation_map, fixation_density
from facepsych.attention.maps import as_map
from facepsych.errors import FacepsychError

__all__ = ["EPS", "auc_borji", "auc_judd", "auc_shuffled", "cc", "kl_div", "nss", "sim"]

EPS = 2.2204e-16  # MATLAB eps, as in KLdiv.m


def _map(saliency) -> np.ndarray:
    return as_map(saliency, what="the saliency map", finite=True)


def resize_map(saliency, shape: tuple[int, int]) -> np.ndarray:
    """Resize a map to ``shape`` (H, W): bicubic when enlarging (clipped to the input range),
    area averaging when shrinking."""
    arr = _map(saliency)
    if arr.shape == tuple(shape):
        return arr
    h, w = int(shape[0]), int(shape[1])
    shrink = h < arr.shape[0] or w < arr.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    out = cv2.resize(arr, (w, h), interpolation=interp).astype(np.float64)
    return np.clip(out, arr.min(), arr.max())  # no bicubic overshoot outside the input range


def _is_map(arr: np.ndarray, sal_shape: tuple, shape) -> bool:
    """An array is a map (not (N, 2) x, y points) when it is 2-D and either not N × 2 or of the
    saliency map's / the given frame's shape."""
    if arr.ndim != 2 or arr.size == 0:
        return False
    return arr.shape[1] != 2 or arr.shape == tuple(sal_shape) or arr.shape == tuple(shape or ())


def _fixmap_and_sal(saliency, fixations, shape=None) -> tuple[np.ndarray, np.ndarray]:
    """Binary fixation map (the frame) and the saliency map resized to it. Points are placed in
    a frame of ``shape`` (H, W), by default the saliency map's own shape."""
    sal = _map(saliency)
    arr = np.asarray(fixations, dtype=np.float64)
    frame = arr.shape if _is_map(arr, sal.shape, shape) else tuple(shape or sal.shape)
    fmap = as_fixation_map(arr, frame) > 0
    return fmap, resize_map(sal, fmap.shape)


def _density_and_sal(saliency, other, sigma, shape) -> tuple[np.ndarray, np.ndarray]:
    """Reference map (a given map, or points blurred by ``sigma`` px) and the resized saliency."""
    sal = _map(saliency)
    arr = np.asarray(other, dtype=np.float64)
    if _is_map(arr, sal.shape, shape):
        if not np.isfinite(arr).all():
            raise FacepsychError("the fixation map has NaN or infinite values")
        if not arr.any():
            raise FacepsychError("no fixations: the fixation map is all zero")
        ref = arr
    else:
        if sigma is None:
            raise FacepsychError(
                "give sigma (pixels) to turn fixation points into a density map, or pass a map"
            )
        ref = fixation_density(arr, tuple(shape or sal.shape), sigma=sigma)
    return ref, resize_map(sal, ref.shape)


def _minmax(arr: np.ndarray) -> np.ndarray | None:
    lo, hi = arr.min(), arr.max()
    if hi - lo <= 0:
        return None
    return (arr - lo) / (hi - lo)


def nss(saliency, fixations, *, shape: tuple[int, int] | None = None) -> float:
    """Normalized scanpath saliency: mean of the standardised map at fixated pixels."""
    fmap, sal = _fixmap_and_sal(saliency, fixations, shape)
    sd = sal.std(ddof=1)
    if sd == 0:
        return float("nan")
    return float(((sal - sal.mean()) / sd)[fmap].mean())


def cc(saliency, other, *, sigma: float | None = None, shape=None) -> float:
    """Pearson correlation between a saliency map and a map (or points blurred by ``sigma``)."""
    ref, sal = _density_and_sal(saliency, other, sigma, shape)
    a, b = sal - sal.mean(), ref - ref.mean()
    sa, sb = np.abs(a).max(), np.abs(b).max()
    if sa == 0 or sb == 0:
        return float("nan")
    a, b = a / sa, b / sb  # rescale first: no underflow for tiny-valued maps
    return float(np.clip((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()), -1.0, 1.0))


def sim(saliency, other, *, sigma: float | None = None, shape=None) -> float:
    """Similarity (histogram intersection) of min–max normalised, sum-to-1 maps."""
    ref, sal = _density_and_sal(saliency, other, sigma, shape)
    out = []
    for m in (sal, ref):
        if m.any():
            n = _minmax(m)
            if n is None:  # a constant non-zero map: MATLAB gives 0/0 = NaN
                return float("nan")
            m = n / n.sum()
        out.append(m)
    return float(np.minimum(out[0], out[1]).sum())


def kl_div(saliency, other, *, sigma: float | None = None, shape=None) -> float:
    """KL(Q ‖ S) = Σ Q log(ε + Q / (S + ε)) with both maps scaled to sum 1, ε = 2.2204e-16."""
    ref, sal = _density_and_sal(saliency, other, sigma, shape)
    if (sal < 0).any() or (ref < 0).any():
        raise FacepsychError("KL divergence needs non-negative maps")
    p = sal / sal.sum() if sal.any() else sal
    q = ref / ref.sum() if ref.any() else ref
    return float((q * np.log(EPS + q / (p + EPS))).sum())


def auc_judd(saliency, fixations, *, jitter: bool = True, seed: int = 0, shape=None) -> float:
    """AUC-Judd (thresholds at every fixated pixel's saliency; all other pixels negatives)."""
    fmap, sal = _fixmap_and_sal(saliency, fixations, shape)
    if sal.max() == sal.min():
        return 0.5
    if jitter:
        sal = sal + np.random.default_rng(seed).random(sal.shape) / 1e7
    s = _minmax(sal).ravel()
    f = fmap.ravel()
    sth = s[f]
    n_fix, n_pix = len(sth), len(s)
    if n_fix == n_pix:
        raise FacepsychError("every pixel is fixated: AUC needs non-fixated pixels")
    thresh = np.sort(sth)[::-1]
    s_sorted = np.sort(s)
    above = n_pix - np.searchsorted(s_sorted, thresh, side="left")  # #{S >= t}
    i = np.arange(1, n_fix + 1)
    tp = np.concatenate([[0.0], i / n_fix, [1.0]])
    fp = np.concatenate([[0.0], (above - i) / (n_pix - n_fix), [1.0]])
    return float(np.trapezoid(tp, fp))


def _thresholds(top: float, step: float) -> np.ndarray:
    """MATLAB ``fliplr(0:step:top)``, including MATLAB's colon rule that the last element is
    ``top`` itself when ``top`` is (within round-off) a multiple of ``step``, and the elements of
    the upper half are counted down from it."""
    n = int(np.floor(top / step + 1e-10))
    last = n * step
    if abs(last - top) <= 1e-10 * max(1.0, abs(top)):
        last = top
    k = np.arange(n + 1)
    values = np.where(k <= n / 2, k * step, last - (n - k) * step)
    return values[::-1]


def _split_auc(sth_sorted: np.ndarray, neg: np.ndarray, step: float, n_neg: int) -> float:
    neg_sorted = np.sort(neg)
    th = _thresholds(max(sth_sorted[-1], neg_sorted[-1]), step)
    n_fix = len(sth_sorted)
    tp = (n_fix - np.searchsorted(sth_sorted, th, side="left")) / n_fix
    fp = (len(neg_sorted) - np.searchsorted(neg_sorted, th, side="left")) / n_neg
    tp = np.concatenate([[0.0], tp, [1.0]])
    fp = np.concatenate([[0.0], fp, [1.0]])
    return float(np.trapezoid(tp, fp))


def auc_borji(
    saliency, fixations, *, n_splits: int = 100, step: float = 0.1, seed: int = 0, shape=None
) -> float:
    """AUC-Borji: negatives sampled uniformly from all pixels, ``n_splits`` splits averaged."""
    fmap, sal = _fixmap_and_sal(saliency, fixations, shape)
    s = _minmax(sal)
    if s is None:
        return 0.5
    s = s.ravel()
    sth = np.sort(s[fmap.ravel()])
    rng = np.random.default_rng(seed)
    r = rng.integers(0, len(s), size=(len(sth), n_splits))
    return float(np.mean([_split_auc(sth, s[r[:, k]], step, len(sth)) for k in range(n_splits)]))


def auc_shuffled(
    saliency,
    fixations,
    other,
    *,
    n_splits: int = 100,
    step: float = 0.1,
    seed: int = 0,
    shape=None,
) -> float:
    """Shuffled AUC: negatives from the fixated pixels of other images (``other``: points or a
    binary map of the same frame), min(N_f, N_other) per split, drawn without replacement."""
    fmap, sal = _fixmap_and_sal(saliency, fixations, shape)
    other_arr = np.asarray(other, dtype=np.float64)
    if other_arr.size == 0:
        raise FacepsychError("shuffled AUC needs fixations from other images; none given")
    omap = as_fixation_map(other_arr, fmap.shape) > 0
    s = _minmax(sal)
    if s is None:
        return 0.5
    s = s.ravel()
    sth = np.sort(s[fmap.ravel()])
    ind = np.flatnonzero(omap.ravel())
    n_oth = min(len(sth), len(ind))
    rng = np.random.default_rng(seed)
    aucs = [_split_auc(sth, s[rng.permutation(ind)[:n_oth]], step, n_oth) for _ in range(n_splits)]
    return float(np.mean(aucs))
