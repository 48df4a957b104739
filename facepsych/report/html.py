"""``build_report(run_dir)``: the self-contained ``report.html`` of a run folder.

Built from the folder alone (``manifest.json`` and the CSV tables), so ``facepsych report RUN_DIR``
can rebuild it anywhere. Figures are regenerated into ``figures/`` and embedded as base64 PNG
``data:`` URIs: the page needs no other file and no network.

The first screen is the answer: one figure (psychometric curves per net with its random twin over
the human band) and one table (per net: span, PSE, slope with 95 % CIs, its twin's, the
pre-training gain, domain and weights source; :func:`facepsych.experiment.nets.net_table`).
Then object vs face (on gains and raw values, with the architecture confound), CAM region shares
per net, and the human-likeness ranking of the series fits with per-stimulus agreement (or one
line saying it needs trial data), and model attention vs human fixations (with
``attention.csv``). Everything else is folded in ``<details>``: findings over continuum fits,
scale reductions, pre-trained backbones, valence accuracy, the per-continuum figures, the
per-cell table and the manifest.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from facepsych.errors import FacepsychError
from facepsych.experiment.nets import (
    ARCHITECTURE_CONFOUND,
    asymptote_notes,
    domain_contrast,
    net_table,
    region_table,
    series_ranking,
)
from facepsych.experiment.rundir import read_csv_or_empty, write_text
from facepsych.experiment.seriesfits import continuum_fits, series_fits, series_rows
from facepsych.experiment.summary import (
    ATTENTION_METRICS,
    HumanBand,
    attention_summary,
    findings,
    human_band,
    mask_failed,
    pretrain_caveats,
    series_label,
    valence_accuracy,
)
from facepsych.report import figures as figs
from facepsych.train.plots import plot_accuracy_curves

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}.muted{color:#666}.ok{color:#1a7f37}.bad{color:#b42318}
figure{margin:1.2em 0}
figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:.9em}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.78em;max-height:40em}
ul.findings li{margin:.3em 0}li.caveat{color:#8a4b00}
.small{font-size:.82em}figure.small img{max-width:600px}figure.answer img{max-width:100%}
table.answer td,table.answer th{padding:.2em .4em}span.ci{color:#666;font-size:.85em;
white-space:nowrap}details{margin:.4em 0}
summary{cursor:pointer;font-weight:600}
"""


def _img(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _fmt(v: Any, digits: int = 3) -> str:
    if isinstance(v, float | np.floating):
        return "–" if not np.isfinite(v) else f"{v:.{digits}f}"
    return html.escape(str(v))


def _table(df: pd.DataFrame, cols: list[str], left: tuple[str, ...] = ()) -> str:
    head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(c)}</th>' for c in cols)
    body = []
    for _, r in df.iterrows():
        cells = "".join(
            f'<td class="{"l" if c in left else ""}">{_fmt(r.get(c))}</td>' for c in cols
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _read(run: Path, name: str) -> pd.DataFrame:
    return read_csv_or_empty(run / name)


def _human_band(run: Path) -> HumanBand:
    """The run's human reference (:func:`facepsych.experiment.summary.human_band`)."""
    mc = run / "humans_mean_curve.csv"
    return human_band(_read(run, "humans.csv"), pd.read_csv(mc) if mc.is_file() else None)


def make_figures(
    run: Path,
    manifest: dict[str, Any],
    preds: pd.DataFrame,
    fits: pd.DataFrame,
    regions: pd.DataFrame,
    band: HumanBand,
) -> list[tuple[Path, str]]:
    """(png, caption) of every figure the run's tables (read once by :func:`build_report`)
    support."""
    out = run / "figures"
    fits = mask_failed(fits) if len(fits) else fits
    made: list[tuple[Path, str]] = []
    if len(preds) and len(fits):
        made.append(
            (
                figs.psychometric_curves(preds, fits, band, out / "psychometric_full.png"),
                "P(positive) per morph level (mean ± SE over continua × seeds; lines: mean "
                "fitted curve, drawn only where at least half the fits are usable) over the "
                "human band.",
            )
        )
        made.append(
            (
                figs.pse_zscores(fits, band, out / "pse_zscores.png"),
                "PSE of each model as a z-score against the human PSE distribution (95% CI "
                "over continua × seeds).",
            )
        )
        if (fits["condition"] != "full").any():
            made.append(
                (
                    figs.occlusion_shifts(fits, out / "pse_occlusion_shift.png"),
                    "PSE shift when the eyes, nose or mouth are occluded (paired with the full "
                    "face; 95% CI).",
                )
            )
    if len(regions):
        cams = []
        seen: set[str] = set()
        for cell in manifest.get("cells", []):
            series = series_label(cell)
            f = run / "cells" / cell["cell_id"] / "cams.npz"
            if series in seen or not f.is_file():
                continue
            seen.add(series)
            with np.load(f) as z:
                cams.append((series, {k: z[k] for k in z.files}))
        if cams:
            made.append(
                (
                    figs.cam_grid(cams, out / "cam_grid.png", root=run),
                    "CAM overlays along the first continuum (rows: models, first seed).",
                )
            )
    metrics = {}
    for cell in manifest.get("cells", []):
        m = run / "training" / cell["cell_id"] / "metrics.csv"
        if m.is_file():
            metrics[cell["cell_id"]] = pd.read_csv(m)
    if metrics:
        made.append(
            (
                plot_accuracy_curves(metrics, out / "learning_curves.png"),
                "Valence training: accuracy per epoch for every cell.",
            )
        )
    return made


def _valence_line(manifest: dict[str, Any]) -> str:
    """Best validation accuracy of the valence heads per series (chance = 0.5)."""
    groups = valence_accuracy(manifest)
    if not groups:
        return ""
    items = "; ".join(f"{s}: {iv.text(2)}" for s, iv in groups.items())
    return (
        "<p><b>Valence training</b> (best validation accuracy of the frozen-feature heads, chance "
        f"0.5, mean [95% CI] over seeds): {html.escape(items)}.</p>"
    )


def _fit_text(fit: dict[str, Any]) -> str:
    if not fit:
        return "?"
    return (
        f"{fit.get('method')} ({fit.get('function')}), guess {fit.get('guess')}, lapse "
        f"{fit.get('lapse')}, {fit.get('bootstrap')} bootstrap samples per fit"
    )


def _pretrain_table(pre: dict[str, Any]) -> str:
    """How well each lab backbone learned its pre-training task (validation accuracy)."""
    if not pre:
        return ""
    rows = []
    for name, p in pre.items():
        n_cls = p.get("classes")
        chance = f"{1 / n_cls:.3f}" if n_cls else "?"
        acc = p.get("final_val_acc")
        acc = "–" if acc is None else f"{acc:.3f}"
        source = "cache" if p.get("cache_hit") else "trained now"
        arch, task = html.escape(str(p.get("arch"))), html.escape(str(p.get("task")))
        rows.append(
            f"<tr><td class='l'>{html.escape(name)}</td><td class='l'>{arch}</td>"
            f"<td class='l'>{task}</td><td>{n_cls}</td><td>{p.get('epochs')}</td>"
            f"<td>{p.get('image_size')}</td><td>{acc}</td><td>{chance}</td>"
            f"<td class='l'>{source}</td></tr>"
        )
    return (
        "<h2>Pre-trained backbones</h2><p>Backbones pre-trained by facepsych (cached in the user "
        "cache); validation accuracy on held-out images of the pre-training classes.</p><table>"
        "<tr><th class='l'>name</th><th class='l'>arch</th><th class='l'>task</th><th>classes</th>"
        "<th>epochs</th><th>px</th><th>val acc</th><th>chance</th><th class='l'>source</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _scale_table(notes: dict[str, Any]) -> str:
    rows = notes.get("scale") or []
    if not rows:
        return ""
    body = "".join(
        f"<tr><td class='l'>{html.escape(str(r.get('setting')))}</td>"
        f"<td class='l'>{html.escape(str(r.get('this_run')))}</td>"
        f"<td class='l'>{html.escape(str(r.get('paper')))}</td></tr>"
        for r in rows
    )
    return (
        "<h2>Scale reductions</h2><p>This run is smaller than the paper's study; every reduction "
        "is listed with the paper's value.</p><table><tr><th class='l'>setting</th>"
        f"<th class='l'>this run</th><th class='l'>paper</th></tr>{body}</table>"
    )


def _attention_table(att: pd.DataFrame) -> str:
    """The "Model attention vs human fixations" section (empty without fixation rows)."""
    if not len(att):
        return ""
    summary = attention_summary(att)

    def cell(r: pd.Series, col: str) -> str:
        m, lo, hi = r[col], r[f"{col}_lo"], r[f"{col}_hi"]
        if not np.isfinite(m):
            return "–"
        return f"{m:.2f} [{lo:.2f}, {hi:.2f}]" if np.isfinite(lo) else f"{m:.2f}"

    head = "".join(f"<th>{label}</th>" for _, label in ATTENTION_METRICS)
    body = "".join(
        f"<tr><td class='l'>{html.escape(str(r['series']))}</td>"
        f"<td class='l'>{html.escape(str(r['condition']))}</td>"
        + "".join(f"<td>{cell(r, col)}</td>" for col, _ in ATTENTION_METRICS)
        + f"<td>{r['n_images']}</td></tr>"
        for _, r in summary.iterrows()
    )
    return (
        "<h2>Model attention vs human fixations</h2><p>Fused CAM of each frame the fixation file "
        "names against the human fixations on it: mean [95% t interval over images; seeds "
        "averaged per image]. Higher is more human-like for NSS, CC, SIM and AUC-Judd (0.5 = "
        "chance); lower for KL.</p><table><tr><th class='l'>series</th><th class='l'>condition"
        f"</th>{head}<th>images</th></tr>{body}</table>"
    )


def _ci_parts(v: Any, lo: Any, hi: Any, digits: int = 2, bound: Any = "") -> tuple[str, str]:
    """(value, interval) texts: ``m``, ``[lo, hi]``; a one-sided bound reads ``≥ m``,
    ``[lo, ∞)`` (``lower``) or ``≤ m``, ``(−∞, hi]`` (``upper``); ``both``: no value."""
    bound = bound if isinstance(bound, str) else ""
    if bound == "both":
        return "–", "both σ on the floor"
    try:
        v, lo, hi = float(v), float(lo), float(hi)
    except (TypeError, ValueError):
        return "–", ""
    if not np.isfinite(v):
        return "–", ""
    if bound == "lower" and np.isfinite(lo):
        return f"≥ {v:.{digits}f}", f"[{lo:.{digits}f}, ∞)"
    if bound == "upper" and np.isfinite(hi):
        return f"≤ {v:.{digits}f}", f"(−∞, {hi:.{digits}f}]"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{v:.{digits}f}", ""
    return f"{v:.{digits}f}", f"[{lo:.{digits}f}, {hi:.{digits}f}]"


def _ci(v: Any, lo: Any, hi: Any, digits: int = 2, bound: Any = "") -> str:
    """``m [lo, hi]`` (``–`` when not measurable; no interval when it has no finite ends; a
    one-sided bound as in :func:`_ci_parts`)."""
    return " ".join(t for t in _ci_parts(v, lo, hi, digits, bound) if t)


def _ci2(v: Any, lo: Any, hi: Any, digits: int = 2, bound: Any = "") -> str:
    """:func:`_ci` on two lines: the value, then its interval in small print."""
    m, iv = _ci_parts(v, lo, hi, digits, bound)
    return f"{m}<br><span class='ci'>{iv}</span>" if iv else m


SLOPE_BOUND_NOTE = (
    "≥ slope: the series fit's σ sits on its floor (the curve is steeper than the fit can "
    "express), so the slope is only a lower bound, [slope, ∞); a gain with such a slope is a "
    "bound too (≥ against a floor net, ≤ against a floor twin; none when both are on the floor)."
)


def _net_html(nets: pd.DataFrame) -> str:
    """The first-screen table: one row per net (see :func:`net_table`)."""
    head = (
        "<tr><th class='l' rowspan=2>net</th><th class='l' rowspan=2>domain</th>"
        "<th class='l' rowspan=2>weights from</th><th colspan=3>net</th>"
        "<th colspan=3>random twin</th><th colspan=3>pre-training gain (net − twin)</th></tr><tr>"
        + "<th>span</th><th>PSE</th><th>slope</th>" * 3
        + "</tr>"
    )
    body = []
    for _, r in nets.iterrows():
        cells = [
            f"<td class='l'><b>{html.escape(str(r['net']))}</b></td>",
            f"<td class='l'>{html.escape(str(r['domain']))}</td>",
            f"<td class='l small'>{html.escape(str(r['source']))}</td>",
        ]
        for prefix in ("", "twin_", "gain_"):
            if prefix == "twin_" and not r.get("twin"):
                cells.append("<td colspan=3 class='muted'>no random twin in this run</td>")
                continue
            if prefix == "gain_" and not r.get("twin"):
                cells.append("<td colspan=3 class='muted'>–</td>")
                continue
            for m, d in (("span", 2), ("pse", 3), ("slope", 2)):
                c = f"{prefix}{m}"
                text = _ci2(r[c], r[f"{c}_lo"], r[f"{c}_hi"], d, r.get(f"{c}_bound", ""))
                cells.append(f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='answer'>{head}{''.join(body)}</table>"


def _contrast_html(contrast: pd.DataFrame) -> str:
    if contrast.empty:
        return (
            "<p class='muted'>No object-vs-face contrast: this run has no object-trained and "
            "face-trained nets side by side.</p>"
        )
    rows = "".join(
        f"<tr><td class='l'>{html.escape(r['measure'])}</td><td class='l'>{r['kind']}</td>"
        f"<td>{_fmt(r['object'])}</td><td class='l small'>{html.escape(r['object_nets'])}</td>"
        f"<td>{_fmt(r['face'])}</td><td class='l small'>{html.escape(r['face_nets'])}</td>"
        f"<td>{_ci2(r['diff'], r['diff_lo'], r['diff_hi'], 3)}</td>"
        f"<td class='l'>{html.escape(r['verdict'])}</td></tr>"
        for _, r in contrast.iterrows()
    )
    return (
        "<table><tr><th class='l'>measure</th><th class='l'>on</th><th>object</th>"
        "<th class='l'>object nets</th><th>face</th><th class='l'>face nets</th>"
        f"<th>face − object [95% CI]</th><th class='l'>result</th></tr>{rows}</table>"
    )


AGREEMENT_NEEDS_TRIALS = (
    "Per-stimulus agreement (correlation with its ceiling, Cohen's κ) needs human trial data "
    "naming each stimulus (humans: source trials with continuum and level columns); the "
    "published reference has only PSE statistics."
)


def _ranking_html(rank: pd.DataFrame) -> str:
    has_agreement = "stimulus_r" in rank
    head = ["rank", "net", "PSE [95% CI]", "z", "ΔPSE [95% CI]", "slope [95% CI]"]
    if has_agreement:
        head += ["r per stimulus [CI]", "ceiling r", "κ [CI]", "c_obs / c_exp"]
    rows = []
    for _, r in rank.iterrows():
        cells = [
            str(r["rank"]), html.escape(str(r["series"])),
            _ci(r["pse"], r["pse_lo"], r["pse_hi"], 3), _fmt(r["pse_z"], 2),
            _ci(r.get("delta_pse"), r.get("delta_pse_lo"), r.get("delta_pse_hi"), 3),
            _ci(r["slope"], r["slope_lo"], r["slope_hi"], 2, r.get("slope_bound", "")),
        ]  # fmt: skip
        if has_agreement:
            cells += [
                _ci(r["stimulus_r"], r["stimulus_r_lo"], r["stimulus_r_hi"], 2),
                _fmt(r.get("stimulus_ceiling_r"), 2),
                _ci(r["kappa"], r["kappa_lo"], r["kappa_hi"], 2),
                f"{_fmt(r.get('c_obs'), 2)} / {_fmt(r.get('c_exp'), 2)}",
            ]
        rows.append(
            "<tr>" + "".join(
                f"<td class='{'l' if i == 1 else ''}'>{c}</td>" for i, c in enumerate(cells)
            ) + "</tr>"
        )  # fmt: skip
    th = "".join(f"<th class='{'l' if i == 1 else ''}'>{h}</th>" for i, h in enumerate(head))
    return f"<table><tr>{th}</tr>{''.join(rows)}</table>"


def _fold(summary: str, body: str, open_: bool = False) -> str:
    if not body.strip():
        return ""
    return (
        f"<details{' open' if open_ else ''}><summary>{html.escape(summary)}</summary>"
        f"{body}</details>"
    )


def build_report(run_dir: str | Path) -> Path:
    """Write ``RUN/report.html`` from the run folder (see the module docstring); return its path."""
    run = Path(run_dir)
    mpath = run / "manifest.json"
    if not mpath.is_file():
        raise FacepsychError(f"{run} is not a run folder: manifest.json not found")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FacepsychError(f"{mpath}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if manifest.get("status") != "complete":
        raise FacepsychError(
            f"{run}: the run is not complete (status {manifest.get('status')!r}); finish it with "
            "facepsych run CONFIG --out RUN_DIR --resume"
        )
    cfg = manifest.get("config", {})
    fit_cfg = cfg.get("analysis", {}).get("fit", {})
    all_fits, regions = _read(run, "fits.csv"), _read(run, "regions.csv")
    fits, series = continuum_fits(all_fits), series_rows(all_fits)
    preds = _read(run, "predictions.csv")
    if series.empty and len(preds):  # a run folder written before series fits existed
        series = series_fits(preds, fit_cfg, seed=int(cfg.get("seed", 0)))
    comparison = _read(run, "comparison.csv")
    band = _human_band(run)
    cells = manifest.get("cells", [])
    nets = net_table(
        cells, preds, series, pretrain=cfg.get("pretrain"), pretrained=manifest.get("pretrained")
    )
    rank = series_ranking(series, comparison, band.pse_mean, band.pse_sd)
    regions_per_net = region_table(regions)
    made = make_figures(run, manifest, preds, fits, regions, band)

    def upper(v: Any) -> float:
        return float(v[1]) if isinstance(v, list | tuple) else float(v or 0.0)

    g_max, l_max = upper(fit_cfg.get("guess", 0.05)), upper(fit_cfg.get("lapse", 0.05))
    n_cont = len({s["continuum"] for s in manifest.get("stimuli", [])})
    conds = list(dict.fromkeys(s["condition"] for s in manifest.get("stimuli", [])))
    seeds = sorted({c.get("seed") for c in cells})
    parts = [
        f"<h1>{html.escape(cfg.get('name', 'study'))}</h1>",
        f"<p class='muted'>{html.escape(cfg.get('description', ''))}</p>",
    ]
    if len(nets):
        curves = figs.net_curves(preds, series, nets, band, run / "figures" / "net_curves.png")
        parts += [
            f"<figure class='answer'>{_img(curves)}<figcaption>Full faces. Points: mean "
            f"P(positive) per morph level over {n_cont} continua × {len(seeds)} seed(s), band: "
            "its 95% t interval; line: the series fit (the mean curve fitted once; dotted where "
            f"its PSE is unusable); grey: the net's random twin; wide grey band: humans "
            f"({html.escape(band.label)}).</figcaption></figure>",
            "<h2>Per net: response, pre-training gain</h2>",
            _net_html(nets),
            "<p class='muted small'>Span = P(positive) at the most positive minus at the most "
            "negative level (fit-free; humans ≈ 1, a net that ignores expression 0; mean [95% t "
            "CI] over continua × seeds). PSE and slope: series fit with bootstrap 95% CI over "
            "continua within seeds (– : no usable PSE, e.g. on a bound). Gain CIs: Welch for "
            "span, √(se²+se²) of the two bootstrap CIs for PSE and slope.</p>",
        ]
        bounds = [c for c in ("slope_bound", "twin_slope_bound") if c in nets]
        if any(nets[c].fillna("").astype(str).ne("").any() for c in bounds):
            parts.append(f"<p class='muted small'>{html.escape(SLOPE_BOUND_NOTE)}</p>")
        notes = asymptote_notes(series, g_max, l_max)
        if notes:
            parts.append(
                f"<p class='small'>Mean curves that stay above {g_max:g} at the negative end or "
                f"below {1 - l_max:g} at the positive end: ψ with guess ≤ {g_max:g} and lapse ≤ "
                f"{l_max:g} cannot reach them there, so the fit puts guess or lapse on its "
                "bound:</p><ul class='small'>"
                + "".join(f"<li>{html.escape(n)}</li>" for n in notes)
                + "</ul>"
            )
        parts += [
            "<h2>Object vs face pre-training</h2>",
            f"<p>{html.escape(ARCHITECTURE_CONFOUND)}</p>",
            _contrast_html(domain_contrast(nets)),
        ]
    if len(regions_per_net):
        bars = figs.region_share_bars(regions, run / "figures" / "region_shares.png")
        parts += [
            "<h2>Where the nets look</h2>",
            f"<figure class='small'>{_img(bars)}<figcaption>Share of CAM mass in the eyes, nose "
            "and mouth regions per net (full faces, ± SE over images).</figcaption></figure>",
        ]
    if len(rank):
        parts += [
            "<h2>Human-likeness ranking (series fits)</h2>",
            f"<p>Full faces. z = (PSE − {band.pse_mean:.3f}) / {band.pse_sd:.3f}; rank 1 = PSE "
            "closest to the human mean; ΔPSE = PSE − human mean PSE.</p>",
            _ranking_html(rank),
        ]
        if "stimulus_r" not in rank:
            parts.append(f"<p class='muted'>{html.escape(AGREEMENT_NEEDS_TRIALS)}</p>")

    parts.append(_attention_table(_read(run, "attention.csv")))

    # ------------------------------------------------------------------ below the answer, folded
    t = manifest.get("timings", {})
    run_info = (
        f"<ul><li>{len(cells)} grid cells (model × weights × variant × seed), {n_cont} continua × "
        f"{len(conds)} conditions ({', '.join(conds)}).</li>"
        f"<li>Fit: {html.escape(_fit_text(fit_cfg))}.</li>"
        f"<li>Humans: {html.escape(band.label)}.</li>"
        f"<li>Run time {t.get('total_s', float('nan')):.0f} s; facepsych "
        f"{html.escape(manifest.get('versions', {}).get('facepsych', '?'))}, torch "
        f"{html.escape(manifest.get('versions', {}).get('torch', '?'))}.</li></ul>"
        + _valence_line(manifest)
    )
    finding_items = "".join(
        [
            *(f"<li>{html.escape(x)}</li>" for x in findings(fits, regions, preds)),
            *(
                f"<li class='caveat'>{html.escape(x)}</li>"
                for x in pretrain_caveats(manifest.get("pretrained") or {})
            ),
        ]
    )
    all_notes = asymptote_notes(series, g_max, l_max, condition=None)
    parts += [
        "<h2>Details</h2>",
        _fold("Run: cells, fit settings, humans, valence training", run_info),
        _fold(
            "Findings over per-continuum fits and caveats (95% CIs)",
            f"<ul class='findings'>{finding_items}</ul>",
        ),
        _fold(
            "Asymptote notes, every condition",
            "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in all_notes) + "</ul>"
            if all_notes
            else "",
        ),
        _fold("Scale reductions", _scale_table(cfg.get("notes", {}))),
        _fold("Pre-trained lab backbones", _pretrain_table(manifest.get("pretrained") or {})),
        _fold(
            "Per-continuum figures, CAM overlays, learning curves",
            "".join(
                f"<figure>{_img(png)}<figcaption>{html.escape(caption)}</figcaption></figure>"
                for png, caption in made
            ),
        ),
    ]
    if cells:
        info = manifest.get("cell_results", {})
        rows = pd.DataFrame(
            [
                {
                    **c,
                    "best_val_acc": (info.get(c["cell_id"]) or {}).get("best_val_acc"),
                    "train_s": ((info.get(c["cell_id"]) or {}).get("timings") or {}).get("train_s"),
                }
                for c in cells
            ]
        )
        parts.append(
            _fold(
                "Cells",
                _table(
                    rows,
                    ["cell_id", "arch", "weights", "variant", "seed", "best_val_acc", "train_s"],
                    left=("cell_id", "arch", "weights", "variant"),
                ),
            )
        )
    parts.append(
        _fold(
            "manifest.json",
            f"<pre>{html.escape(json.dumps(manifest, indent=2, default=str))}</pre>",
        )
    )
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(cfg.get('name', 'study'))} — facepsych report</title>"
        f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>\n"
    )
    return write_text(run / "report.html", page)
