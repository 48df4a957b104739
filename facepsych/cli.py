"""The ``facepsych`` command line (typer).

Thin by design: each command parses its options, calls one library function, and prints. Errors
the user can fix are raised as :class:`facepsych.errors.FacepsychError` and shown as one line
(``error: …``) with exit status 2, never as a traceback.

Commands are grouped in sections, one per stage of the paradigm (see DESIGN.md). Library imports
happen inside the command functions so that ``facepsych --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path  # noqa: F401  (used by the command sections)
from typing import Annotated, Optional  # noqa: F401

import typer

from facepsych.errors import FacepsychError
from facepsych.train.config import BALANCE_MODES, train_defaults

#: ``facepsych train``'s defaults are TrainConfig's (the protocol's one schema; no torch import).
TRAIN = train_defaults()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Computational psychophysics of face-emotion CNNs "
    "(Ying, Li & Chen 2023, arXiv:2310.13674).",
)
weights_app = typer.Typer(no_args_is_help=True, help="Check or fetch pre-trained weight files.")
app.add_typer(weights_app, name="weights")

#: Commands that run a network: the global ``--threads`` is applied to torch before them.
NETWORK_COMMANDS = ("train", "predict", "cam", "pretrain", "run", "demo", "weights", "models")
DeviceOpt = Annotated[
    str, typer.Option("--device", help="auto (the first CUDA GPU if any) | cpu | cuda[:N]")
]
StudyDeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device", help="auto | cpu | cuda[:N] for every cell (default: training.device)."
    ),
]


def _check_device(name: str) -> str:
    """``name`` unchanged once it names a device that exists here (else a one-line error)."""
    from facepsych.runtime import resolve_device

    resolve_device(name)
    return name


@app.callback()
def global_options(
    ctx: typer.Context,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            help="Torch threads per process (default $FACEPSYCH_THREADS, else cores / workers).",
        ),
    ] = None,
) -> None:
    """Computational psychophysics of face-emotion CNNs (Ying, Li & Chen 2023, arXiv:2310.13674)."""
    import os

    from facepsych.runtime import THREADS_ENV, resolve_threads

    if threads is not None:  # inherited by pre-training ranks and the runner's worker processes
        os.environ[THREADS_ENV] = str(resolve_threads(threads))
    if ctx.invoked_subcommand in NETWORK_COMMANDS:
        from facepsych.runtime import apply_threads

        apply_threads()


# ---- models and weights


def _list_option(
    text: str | None, *, lower: bool = False, spaces: bool = False
) -> list[str] | None:
    """A comma-separated option value as a list (``"a, b,"`` -> ``["a", "b"]``); None when the
    option is absent or empty. ``spaces``: whitespace separates too; ``lower``: lower-cased."""
    if not text:
        return None
    parts = text.replace(",", " ").split() if spaces else text.split(",")
    items = [p.strip().lower() if lower else p.strip() for p in parts if p.strip()]
    return items or None


@app.command("models")
def models_command(
    layers: Annotated[
        str | None,
        typer.Option("--layers", metavar="ARCH", help="List ARCH's modules and output shapes."),
    ] = None,
    hidden: Annotated[int | None, typer.Option(help="Classifier hidden width.")] = None,
    excitation: Annotated[
        str | None,
        typer.Option(help="fe-alexnet positions, comma-separated (conv1..conv5, pool5, fc6)."),
    ] = None,
    reduction: Annotated[int, typer.Option(help="fe-alexnet reduction ratio r.")] = 16,
    image_size: Annotated[int, typer.Option(help="Input size for --layers.")] = 224,
) -> None:
    """The model registry (arch:weights, domain, input, parameters, normalisation, CAM layer,
    training data, file source, SHA-256, licence), or one ARCH's layers (--layers)."""
    from facepsych.models.zoo import format_table, layer_table, registry_table

    if layers is None:
        typer.echo(format_table(registry_table(hidden=hidden, reduction=reduction)))
        return
    kwargs = {"hidden": hidden, "reduction": reduction}
    kwargs["excitation"] = _list_option(excitation)
    typer.echo(format_table(layer_table(layers, image_size=image_size, **kwargs)))


@weights_app.command("check")
def weights_check_command(
    arch: Annotated[str, typer.Argument(help="Architecture, e.g. alexnet, vgg16, fe-alexnet.")],
    source: Annotated[
        str, typer.Argument(help="imagenet | imagenet:PATH | file:PATH | vggface:PATH | random")
    ],
    hidden: Annotated[int | None, typer.Option(help="Classifier hidden width.")] = None,
    num_classes: Annotated[int, typer.Option(help="Outputs of the last layer.")] = 2,
) -> None:
    """Load SOURCE into ARCH strictly and print what was loaded (keys, SHA-256, preprocessing)."""
    import warnings

    from facepsych.models import build_model
    from facepsych.models.zoo import weights_summary

    with warnings.catch_warnings():  # the summary lists the warnings itself
        warnings.simplefilter("ignore")
        net = build_model(arch, source, hidden=hidden, num_classes=num_classes)
    typer.echo(weights_summary(net))


@weights_app.command("download")
def weights_download_command(
    arch: Annotated[str, typer.Argument(help="Architecture whose ImageNet file to fetch.")],
) -> None:
    """Opt-in, needs network: fetch torchvision's IMAGENET1K_V1 file into the torch hub cache."""
    from facepsych.models import download_imagenet, sha256_file

    path = download_imagenet(arch)
    typer.echo(f"{path}\nsha256 {sha256_file(path)}")


# ---- data, training, prediction


@app.command("train")
def train_cmd(
    arch: Annotated[str, typer.Option(help="alexnet, vgg11, vgg13, vgg16, fe-alexnet, ...")],
    data: Annotated[Path, typer.Option(help="Dataset path (CSV file or folder).")],
    out: Annotated[Path, typer.Option(help="Run folder to write.")],
    weights: Annotated[
        str, typer.Option(help="random | imagenet[:PATH] | file:PATH | vggface:PATH")
    ],
    format: Annotated[str, typer.Option(help="affectnet | fer2013 | facial_expressions | folder")],
    valence: Annotated[
        str, typer.Option(help="default | happy-sad | valence:T | map.yaml")
    ] = "default",
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = TRAIN["epochs"],
    batch_size: Annotated[int, typer.Option(help="Mini-batch size.")] = TRAIN["batch_size"],
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = TRAIN["lr"],
    image_size: Annotated[
        int | None, typer.Option(help="Input size in pixels (default: the arch's own).")
    ] = TRAIN["image_size"],
    seed: Annotated[int, typer.Option(help="Seed for split, init, dropout, order.")] = TRAIN[
        "seed"
    ],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Skip bad rows/images; list them in skipped.csv.")
    ] = False,
    val_fraction: Annotated[
        float, typer.Option(help="Validation share when the data has no split.")
    ] = 0.2,
    hidden: Annotated[
        int | None, typer.Option(help="Classifier hidden width (default: the arch's 4096).")
    ] = None,
    excitation: Annotated[
        str | None,
        typer.Option(help="fe-alexnet positions, comma-separated (conv1..conv5, pool5, fc6)."),
    ] = None,
    reduction: Annotated[int, typer.Option(help="Excitation reduction ratio r.")] = 16,
    balance: Annotated[str, typer.Option(help=" | ".join(BALANCE_MODES))] = TRAIN["balance"],
    augment: Annotated[
        bool, typer.Option("--augment", help="Random crop + flip (forces full forwards).")
    ] = TRAIN["augment"],
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Run the full network every batch.")
    ] = not TRAIN["cache"],
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            help="Feature cache folder (default: features/ in $FACEPSYCH_CACHE or "
            "~/.cache/facepsych)."
        ),
    ] = TRAIN["cache_dir"],
    device: DeviceOpt = "auto",
    cache_dtype: Annotated[
        str, typer.Option(help="Feature cache on disk: float16 (memory-mapped) | float32.")
    ] = TRAIN["cache_dtype"],
    standardize: Annotated[
        bool,
        typer.Option(
            "--standardize",
            help="Standardise each frozen feature (training mean / s.d.) before the head.",
        ),
    ] = TRAIN["standardize"],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the run in a non-empty --out folder.")
    ] = False,
    crop: Annotated[
        str, typer.Option(help="face (aligned chip on the eye landmarks) | none; recorded.")
    ] = "none",
    extract_executor: Annotated[
        str,
        typer.Option(
            help="Feature extraction: local (here, on --device) | ray (cache shards over Ray "
            "tasks on the CPU; the cluster at $RAY_ADDRESS when set)."
        ),
    ] = TRAIN["extract_executor"],
    extract_workers: Annotated[
        int, typer.Option(help="CPUs of the local Ray that --extract-executor ray starts.")
    ] = TRAIN["extract_workers"],
) -> None:
    """Train a positive/negative valence head on frozen features; write a run folder."""
    from facepsych.train import TrainConfig
    from facepsych.train.recipes import train_from_path

    _check_device(device)
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        image_size=image_size,
        balance=balance,
        augment=augment,
        cache=not no_cache,
        cache_dir=str(cache_dir) if cache_dir else None,
        device=device,
        cache_dtype=cache_dtype,
        standardize=standardize,
        extract_executor=extract_executor,
        extract_workers=extract_workers,
    )
    result = train_from_path(
        arch,
        weights,
        data,
        format,
        out,
        valence=valence,
        skip_bad=skip_bad,
        val_fraction=val_fraction,
        hidden=hidden,
        reduction=reduction,
        config=config,
        excitation=_list_option(excitation),
        force=force,
        crop=crop,
    )
    typer.echo(
        f"best epoch {result.best_epoch}: val_acc {result.best_val_acc:.3f} "
        f"({result.mode}, {result.n_train} train / {result.n_val} val, "
        f"{result.skipped} skipped) -> {result.run_dir}"
    )


@app.command("predict")
def predict_cmd(
    run_dir: Annotated[Path, typer.Argument(help="A training run folder.")],
    images: Annotated[
        Path, typer.Option(help="Folder, continuum folder, .txt/.csv list or image.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="CSV to write (image, p_positive, predicted_label[, level]); "
            "default RUN/predictions.csv."
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Images per forward pass.")] = 64,
    device: DeviceOpt = "auto",
    crop: Annotated[
        str | None, typer.Option(help="face | none (default: the run's recorded crop).")
    ] = None,
) -> None:
    """P(positive) for images with a trained run's best model."""
    from facepsych.train import predict_to_csv

    _check_device(device)
    out = out if out is not None else run_dir / "predictions.csv"
    table = predict_to_csv(run_dir, images, out, batch_size=batch_size, device=device, crop=crop)
    typer.echo(f"{len(table)} images, mean P(positive) {table['p_positive'].mean():.3f} -> {out}")


# ---- psychophysics


def _cols(text: str | None) -> list[str] | None:
    return _list_option(text, lower=True)


HumanFormatOpt = Annotated[
    str, typer.Option("--format", help="Human data: csv | psychopy | mat | xlsx.")
]
LevelColumnOpt = Annotated[
    str, typer.Option(help="psychopy/xlsx: the column holding the morph level.")
]
ResponseColumnOpt = Annotated[
    str, typer.Option(help="psychopy/xlsx: the column holding the response.")
]
SubjectColumnOpt = Annotated[
    str | None,
    typer.Option(help="psychopy/xlsx: the subject column (psychopy default: participant)."),
]
PositiveOpt = Annotated[
    str | None, typer.Option(help="Response label meaning positive (e.g. j, happy).")
]
NegativeOpt = Annotated[
    str | None, typer.Option(help="Response label meaning negative (e.g. f, sad).")
]
MatVariableOpt = Annotated[str, typer.Option(help="mat: the trial matrix variable.")]
MatLevelColOpt = Annotated[int, typer.Option(help="mat: column (from 1) of the level index.")]
MatResponseColOpt = Annotated[int, typer.Option(help="mat: column (from 1) of the response.")]
MatLevelsOpt = Annotated[
    str | None,
    typer.Option(help="mat: comma-separated levels of index 1, 2, … (default: even on [0, 1])."),
]
SheetOpt = Annotated[str | None, typer.Option(help="xlsx: sheet name (default: the first).")]


def _human_format(fmt, codes, level_column, response_column, subject_column, positive, negative,
                  mat_variable, mat_level_col, mat_response_col, mat_levels, sheet):  # fmt: skip
    from facepsych.psychophysics.trialfiles import HumanFormat, parse_levels

    return HumanFormat(
        format=fmt, level_column=level_column, response_column=response_column,
        subject_column=subject_column or None, response_codes=codes,
        positive=positive, negative=negative, mat_variable=mat_variable,
        mat_level_col=mat_level_col, mat_response_col=mat_response_col,
        mat_levels=parse_levels(mat_levels), sheet=sheet,
    )  # fmt: skip


@app.command("fit")
def fit_command(
    data: Annotated[
        Path | None, typer.Argument(help="CSV: level,k,n | subject,level,response | level,p.")
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="mle | lsq (default: lsq for level,p, else mle).")
    ] = None,
    function: Annotated[str, typer.Option(help="cumnorm | logistic | weibull | gumbel.")] = (
        "cumnorm"
    ),
    bootstrap: Annotated[int, typer.Option(help="Parametric bootstrap samples for CIs.")] = 1000,
    ci: Annotated[
        str, typer.Option(help="Bootstrap interval: debiased | bca | percentile.")
    ] = "debiased",
    group_by: Annotated[str | None, typer.Option(help="Comma-separated grouping columns.")] = None,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    codes: Annotated[str, typer.Option(help="Response codes: 01, or 12 (1=happy, 2=sad).")] = "01",
    out: Annotated[Path | None, typer.Option(help="Write the fit table (CSV).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Draw data, fits, CI bands, PSEs (PNG).")] = (
        None
    ),
    human: Annotated[
        Path | None,
        typer.Option("--human", help="Human trials: a file or a folder in --format (not DATA)."),
    ] = None,
    fmt: HumanFormatOpt = "csv",
    level_column: LevelColumnOpt = "level",
    response_column: ResponseColumnOpt = "response",
    subject_column: SubjectColumnOpt = None,
    positive: PositiveOpt = None,
    negative: NegativeOpt = None,
    mat_variable: MatVariableOpt = "result_dummy",
    mat_level_col: MatLevelColOpt = 2,
    mat_response_col: MatResponseColOpt = 4,
    mat_levels: MatLevelsOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Fit psychometric functions to DATA.csv (or --human trials), one row per group."""
    from facepsych.psychophysics import fit_table
    from facepsych.psychophysics.trialfiles import read_human

    if (data is None) == (human is None):
        raise FacepsychError("give the data as DATA.csv or as --human FILE_OR_FOLDER (one of them)")
    if human is not None:
        data = read_human(human, _human_format(
            fmt, codes, level_column, response_column, subject_column, positive, negative,
            mat_variable, mat_level_col, mat_response_col, mat_levels, sheet,
        ))  # fmt: skip
        codes = "01"  # read_human has coded the responses
    if plot is not None and plot.is_dir():  # a folder: the figure goes inside it
        plot = plot / "fits.png"
    res = fit_table(
        data, method=method, function=function, bootstrap=bootstrap, group_by=_cols(group_by),
        seed=seed, response_codes=codes, out=out, plot=plot, ci_method=ci,
    )  # fmt: skip
    show = ["group", "method", "function", "pse", "pse_lo", "pse_hi", "slope", "jnd", "guess",
            "lapse", "r2", "fit_ok", "reason"]  # fmt: skip
    typer.echo(res.table[show].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for path in (out, plot):
        if path is not None:
            typer.echo(f"-> {path}")


@app.command("compare")
def compare_command(
    model: Annotated[
        Path, typer.Option("--model", help="Model predictions CSV: level,p (+ groups).")
    ],
    human: Annotated[
        str,
        typer.Option(
            "--human",
            help="Human trials (a file or a folder in --format), or 'reference' (published, "
            "N = 40).",
        ),
    ] = "reference",
    method: Annotated[str, typer.Option(help="Model fit: lsq | mle.")] = "lsq",
    function: Annotated[str, typer.Option(help="cumnorm | logistic | weibull | gumbel.")] = (
        "cumnorm"
    ),
    bootstrap: Annotated[int, typer.Option(help="Bootstrap samples.")] = 1000,
    group_by: Annotated[
        str | None, typer.Option(help="Model grouping columns (default: non-stimulus columns).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    codes: Annotated[str, typer.Option(help="Human response codes: 01 or 12.")] = "01",
    out: Annotated[Path | None, typer.Option(help="Write the comparison table (CSV).")] = None,
    anova_by: Annotated[
        str | None, typer.Option(help="Model factor columns for the RM-ANOVA of |ΔPSE|.")
    ] = None,
    anova_out: Annotated[Path | None, typer.Option(help="Write the ANOVA table (CSV).")] = None,
    fmt: HumanFormatOpt = "csv",
    level_column: LevelColumnOpt = "level",
    response_column: ResponseColumnOpt = "response",
    subject_column: SubjectColumnOpt = None,
    positive: PositiveOpt = None,
    negative: NegativeOpt = None,
    mat_variable: MatVariableOpt = "result_dummy",
    mat_level_col: MatLevelColOpt = 2,
    mat_response_col: MatResponseColOpt = 4,
    mat_levels: MatLevelsOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Score model curves against human trials or the published human reference."""
    from facepsych.psychophysics import compare_table

    human_format = _human_format(
        fmt, codes, level_column, response_column, subject_column, positive, negative,
        mat_variable, mat_level_col, mat_response_col, mat_levels, sheet,
    )  # fmt: skip
    table = compare_table(
        model, human, method=method, function=function, bootstrap=bootstrap,
        group_by=_cols(group_by), seed=seed, response_codes=codes, out=out,
        anova_by=_cols(anova_by), anova_out=anova_out,
        human_format=human_format,
    )  # fmt: skip
    show = ["group", "model_pse", "delta_pse", "delta_pse_lo", "delta_pse_hi", "slope_ratio", "z",
            "cohens_d", "p_value", "rmse", "human_likeness", "model_fit_ok",
            "model_reason"]  # fmt: skip
    typer.echo(table[show].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if (table["human_kind"] == "reference").any():
        from facepsych.psychophysics import PUBLISHED_REFERENCE as ref

        typer.echo(
            f"humans: published reference (group statistics, not data): N = {ref.n_subjects}, "
            f"PSE {ref.pse_mean} ± {ref.pse_sd} SD, slope {ref.slope}"
        )
    if "anova" in table.attrs:
        cols = ["effect", "df1", "df2", "F", "p", "eps_gg", "p_gg", "eta_p2"]
        typer.echo("RM-ANOVA of |PSE_model - PSE_subject| (Greenhouse-Geisser):")
        anova = table.attrs["anova"][cols]
        typer.echo(anova.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for path in (out, anova_out):
        if path is not None:
            typer.echo(f"-> {path}")


# ---- stimuli


@app.command("landmarks")
def landmarks_command(
    image: Annotated[Path, typer.Argument(help="A face photograph.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .tem, .pts, .csv or .json.")],
    detector: Annotated[str, typer.Option(help="Landmark detector (68 points).")] = "dlib",
    largest: Annotated[bool, typer.Option(help="Take the largest face when several.")] = False,
    predictor: Annotated[
        Path | None, typer.Option(help="dlib 68-point model file (default: packaged).")
    ] = None,
) -> None:
    """Detect 68 facial landmarks in IMAGE and write them to a landmark file."""
    from facepsych.stimuli.detect import detect_to_file

    path, n = detect_to_file(image, out, detector=detector, largest=largest, model_path=predictor)
    typer.echo(f"wrote {n} landmarks to {path}")


@app.command("morph")
def morph_command(
    image_a: Annotated[Path, typer.Argument(help="Level 0 (negative end) image.")],
    image_b: Annotated[Path, typer.Argument(help="Level 1 (positive end) image.")],
    out: Annotated[Path, typer.Option("--out", help="Output continuum folder.")],
    landmarks_a: Annotated[Path | None, typer.Option(help="Landmark file of A.")] = None,
    landmarks_b: Annotated[Path | None, typer.Option(help="Landmark file of B.")] = None,
    detector: Annotated[
        str | None, typer.Option(help="Detect landmarks (dlib) when no file is given.")
    ] = None,
    steps: Annotated[int, typer.Option(help="Number of frames (>= 2).")] = 21,
    size: Annotated[
        int | None, typer.Option(help="Output side in px (square); default: A's size.")
    ] = None,
    align: Annotated[bool, typer.Option(help="Similarity-align B onto A on the eyes.")] = False,
    oval: Annotated[bool, typer.Option(help="Oval face mask over a flat background.")] = False,
    background: Annotated[str, typer.Option(help="Background for --oval.")] = "grey",
    alpha_shape: Annotated[
        float | None, typer.Option(help="Fixed shape alpha (default: the level).")
    ] = None,
    alpha_texture: Annotated[
        float | None, typer.Option(help="Fixed texture alpha (default: the level).")
    ] = None,
    largest: Annotated[bool, typer.Option(help="Detector: take the largest face.")] = False,
    predictor: Annotated[
        Path | None, typer.Option(help="dlib 68-point model file (default: packaged).")
    ] = None,
) -> None:
    """Morph IMAGE_A into IMAGE_B: a continuum folder (step_XX.png, landmarks_XX.csv, manifest)."""
    from facepsych.stimuli.morph import morph_files

    manifest = morph_files(
        image_a, image_b, out, landmarks_a=landmarks_a, landmarks_b=landmarks_b,
        detector=detector, largest=largest, predictor=predictor, steps=steps, size=size,
        align=align, oval=oval, background=background, alpha_shape=alpha_shape,
        alpha_texture=alpha_texture,
    )  # fmt: skip
    typer.echo(f"wrote {steps} frames and {manifest}")


@app.command("occlude")
def occlude_command(
    src: Annotated[Path, typer.Argument(help="A continuum folder (or manifest) or one image.")],
    region: Annotated[str, typer.Option(help="eyes, nose or mouth (full copies a set).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    boxes: Annotated[
        str | None, typer.Option(help="Fixed boxes instead of landmarks: companion.")
    ] = None,
    fill: Annotated[str, typer.Option(help="grey, noise, blur, #rrggbb or r,g,b.")] = "grey",
    mode: Annotated[str, typer.Option(help="Landmark occluder: box or hull.")] = "box",
    pad: Annotated[float, typer.Option(help="Padding, x interocular distance.")] = 0.15,
    brows: Annotated[bool, typer.Option(help="Eyes region includes the brows.")] = False,
    seed: Annotated[int, typer.Option(help="Seed for --fill noise.")] = 0,
    landmarks: Annotated[Path | None, typer.Option(help="Landmarks of one image.")] = None,
    detector: Annotated[str | None, typer.Option(help="Detect landmarks (dlib).")] = None,
    largest: Annotated[bool, typer.Option(help="Detector: take the largest face.")] = False,
) -> None:
    """Occlude the eyes, nose or mouth of a continuum (every step) or of one image."""
    from facepsych.stimuli.occlude import occlude_path

    path = occlude_path(
        src, region, out, landmarks=landmarks, detector=detector, largest=largest, boxes=boxes,
        fill=fill, mode=mode, pad=pad, brows=brows, seed=seed, progress=True,
    )  # fmt: skip
    typer.echo(f"wrote {path}")


@app.command("continuum")
def continuum_command(
    folder: Annotated[Path, typer.Argument(help="A folder of numbered frames or a continuum.")],
    out: Annotated[Path, typer.Option("--out", help="The manifest.csv to write.")],
    reverse: Annotated[bool, typer.Option(help="The set runs positive -> negative.")] = False,
    every: Annotated[int, typer.Option(help="Keep every K-th frame.")] = 1,
) -> None:
    """Index an existing continuum: order numbered frames, map them to levels, write a manifest."""
    from facepsych.stimuli.continuum import index_continuum

    manifest = index_continuum(folder, out, reverse=reverse, every=every)
    typer.echo(f"wrote {manifest}")


# ---- attention


@app.command("cam")
def cam_command(
    run_dir: Annotated[Path, typer.Argument(help="A training run folder (config.json, best.pt).")],
    images: Annotated[Path, typer.Option(help="An image, a folder, or continuum folder(s).")],
    out: Annotated[Path | None, typer.Option(help="Output folder (default RUN/cams).")] = None,
    method: Annotated[str, typer.Option(help="layercam or gradcam.")] = "layercam",
    layers: Annotated[
        Optional[list[str]],  # noqa: UP045 (typer needs Optional here)
        typer.Option("--layers", help="Module path, e.g. features.11; repeat or comma-list."),
    ] = None,
    target: Annotated[str, typer.Option(help="positive, predicted or a class index.")] = "positive",
    regions: Annotated[str, typer.Option(help="landmarks or companion (boxes).")] = "companion",
    batch_size: Annotated[int, typer.Option(help="Images per forward/backward pass.")] = 32,
    device: DeviceOpt = "auto",
    more_layers: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Argument(metavar="LAYER", help="More layers after --layers (--layers A B)."),
    ] = None,
    crop: Annotated[
        str | None, typer.Option(help="face | none (default: the run's recorded crop).")
    ] = None,
) -> None:
    """CAMs for a trained run: overlays, cams.npz (raw maps) and regions.csv."""
    from facepsych.attention.pipeline import run_cams

    if more_layers and not layers:
        raise FacepsychError(f"unexpected argument(s): {' '.join(more_layers)}")
    given = [*(layers or []), *(more_layers or [])]
    names = _list_option(",".join(given), spaces=True)
    from facepsych.runtime import resolve_device
    from facepsych.train import load_run

    target_device = resolve_device(device)
    net = load_run(run_dir).to(target_device)
    out = out if out is not None else run_dir / "cams"
    path = run_cams(run_dir, images, out, method=method, layers=names or None, target=target,
                    regions=regions, batch_size=batch_size, net=net, crop=crop)  # fmt: skip
    typer.echo(f"wrote {path / 'cams.npz'}, {path / 'regions.csv'} and overlays in {path}")


@app.command("attention-compare")
def attention_compare_command(
    cams: Annotated[Path, typer.Option(help="Folder with cams.npz (from facepsych cam).")],
    fixations: Annotated[Path, typer.Option(help="CSV: image, x, y[, subject, duration].")],
    out: Annotated[Path, typer.Option(help="Output metrics CSV.")],
    sigma: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Density-map Gaussian sigma in pixels (default: max(H, W) / 30)."),
    ] = None,
    sigma_deg: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Sigma in degrees of visual angle (needs --ppd)."),
    ] = None,
    ppd: Annotated[Optional[float], typer.Option(help="Pixels per degree.")] = None,  # noqa: UP045
    splits: Annotated[int, typer.Option(help="Random splits for AUC-Borji / shuffled.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the AUC draws.")] = 0,
    per_subject: Annotated[bool, typer.Option(help="One row per image x subject.")] = False,
) -> None:
    """Compare CAMs with human fixations: NSS, CC, SIM, KL, AUC-Judd/Borji/shuffled per image."""
    from facepsych.attention import compare_attention

    df = compare_attention(cams, fixations, out, sigma=sigma, sigma_deg=sigma_deg, ppd=ppd,
                           n_splits=splits, seed=seed, per_subject=per_subject)  # fmt: skip
    means = df.drop(columns=["n_fixations", "sigma_px", "subject"], errors="ignore").mean(
        numeric_only=True
    )
    typer.echo(f"wrote {out} ({len(df)} images); means: "
               + ", ".join(f"{k} {v:.3f}" for k, v in means.items()))  # fmt: skip


# ---- experiment runner and report


@app.command("run")
def run_command(
    config: Annotated[Path, typer.Argument(help="Study config (YAML); see configs/.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: output.dir or runs/NAME).")
    ] = None,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    workers: Annotated[int, typer.Option(help="Cells run in parallel (processes).")] = 1,
    resume: Annotated[bool, typer.Option("--resume", help="Skip cells already finished.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Discard an existing run folder's results.")
    ] = False,
    device: StudyDeviceOpt = None,
    extract_executor: Annotated[
        str | None,
        typer.Option(
            help="local | ray: where every cell extracts its frozen features "
            "(default: training.extract_executor)."
        ),
    ] = None,
) -> None:
    """Run a whole study (train, predict, fit, CAM, report) from one config."""
    from facepsych.study import run_study

    run_dir = run_study(
        config, out, executor=executor, workers=workers, resume=resume, force=force, device=device,
        extract_executor=extract_executor,
    )  # fmt: skip
    typer.echo(f"run folder: {run_dir}")
    typer.echo(f"report: {run_dir / 'report.html'}")


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
) -> None:
    """Rebuild RUN_DIR/report.html from the run folder alone."""
    from facepsych.report import build_report

    typer.echo(f"report: {build_report(run_dir)}")


# ---- synthetic lab, pretraining, demo

synth_app = typer.Typer(
    no_args_is_help=True, help="Write data sets from the built-in synthetic face lab."
)
app.add_typer(synth_app, name="synth")
_WEIGHTS_HELP = "Expression per region, e.g. 'brows=0,eyes=1,mouth=0' (default all 1)."
_SHEET_HELP = "Also save a contact sheet PNG of what was written here."


@synth_app.command("faces")
def synth_faces_command(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    identities: Annotated[int, typer.Option(help="Number of identities.")] = 40,
    per_identity: Annotated[int, typer.Option(help="Faces per identity (half positive).")] = 10,
    size: Annotated[int, typer.Option(help="Image size in pixels.")] = 64,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    nuisance: Annotated[float, typer.Option(help="Nuisance strength (0 = none).")] = 0.5,
    weights: Annotated[str | None, typer.Option(help=_WEIGHTS_HELP)] = None,
    val_fraction: Annotated[float, typer.Option(help="Share of identities in 'val'.")] = 0.2,
    identity_set: Annotated[
        bool, typer.Option("--identity-set", help="One sub-folder per identity (pre-training).")
    ] = False,
    sheet: Annotated[Path | None, typer.Option(help=_SHEET_HELP)] = None,
) -> None:
    """Expressive faces with valence labels (folder format + labels.csv + landmarks.csv), or with
    --identity-set a VGGFace2-style identity folder."""
    from facepsych.synthetic import sheet_of_folder, write_expression_set, write_identity_set

    if identity_set:
        ws = write_identity_set(
            out, n_identities=identities, per_identity=per_identity, size=size, seed=seed,
            nuisance=nuisance,
        )  # fmt: skip
    else:
        ws = write_expression_set(
            out, n_identities=identities, per_identity=per_identity, size=size, seed=seed,
            nuisance=nuisance, weights=weights, val_fraction=val_fraction,
        )  # fmt: skip
    typer.echo(f"wrote {ws.n_images} faces of {len(ws.identities)} identities to {ws.root}")
    if sheet is not None:
        typer.echo(f"contact sheet: {sheet_of_folder(out, sheet)}")


@synth_app.command("objects")
def synth_objects_command(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    per_class: Annotated[int, typer.Option(help="Images per class.")] = 40,
    classes: Annotated[str | None, typer.Option(help="Comma-separated subset of classes.")] = None,
    size: Annotated[int, typer.Option(help="Image size in pixels.")] = 64,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    nuisance: Annotated[float, typer.Option(help="Nuisance strength (0 = none).")] = 1.0,
    sheet: Annotated[Path | None, typer.Option(help=_SHEET_HELP)] = None,
) -> None:
    """Procedural objects (shapes, patterns, scenes), one sub-folder per class."""
    from facepsych.synthetic import sheet_of_folder, write_object_set

    names = _list_option(classes)
    ws = write_object_set(
        out, classes=names, per_class=per_class, size=size, seed=seed, nuisance=nuisance
    )
    typer.echo(f"wrote {ws.n_images} images of {len(ws.classes)} classes to {ws.root}")
    if sheet is not None:
        typer.echo(f"contact sheet: {sheet_of_folder(out, sheet)}")


@synth_app.command("continuum")
def synth_continuum_command(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    count: Annotated[int, typer.Option(help="Number of continua (held-out identities).")] = 1,
    identity: Annotated[int | None, typer.Option(help="First identity seed.")] = None,
    steps: Annotated[int, typer.Option(help="Morph steps (level 0 = most negative).")] = 21,
    size: Annotated[int, typer.Option(help="Image size in pixels.")] = 96,
    seed: Annotated[int, typer.Option(help="Random seed (pose/background).")] = 0,
    nuisance: Annotated[
        float, typer.Option(help="Nuisance strength, fixed along a continuum.")
    ] = 0.0,
    weights: Annotated[str | None, typer.Option(help=_WEIGHTS_HELP)] = None,
    occlude: Annotated[
        str | None, typer.Option(help="Also write occluded versions, e.g. 'eyes,nose,mouth'.")
    ] = None,
    sheet: Annotated[Path | None, typer.Option(help=_SHEET_HELP)] = None,
) -> None:
    """21-step expression continua of held-out identities (continuum folder format, ibug68)."""
    from facepsych.synthetic import CONTINUUM_IDS, sheet_of_folder, write_continuum_set

    regions = _list_option(occlude) or []
    dirs = write_continuum_set(
        out, n_continua=count, steps=steps, size=size, seed=seed, nuisance=nuisance,
        weights=weights, occlusions=regions,
        first_identity=CONTINUUM_IDS if identity is None else identity,
    )  # fmt: skip
    typer.echo(f"wrote {len(dirs)} continuum folder(s) under {out}")
    if sheet is not None:
        typer.echo(f"contact sheet: {sheet_of_folder(dirs[0], sheet, columns=7)}")


@app.command("pretrain")
def pretrain_command(
    out: Annotated[Path, typer.Option("--out", help="Checkpoint to write (CKPT.pth).")],
    task: Annotated[str, typer.Option(help="identity or objects.")] = "identity",
    arch: Annotated[str, typer.Option(help="alexnet, vgg11, vgg13, vgg16, ...")] = "alexnet",
    data: Annotated[
        str, typer.Option(help="'synthetic' or a folder with one sub-folder per class.")
    ] = "synthetic",
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 5,
    image_size: Annotated[int, typer.Option(help="Input size in pixels.")] = 64,
    batch_size: Annotated[int, typer.Option(help="Batch size per process.")] = 64,
    lr: Annotated[float, typer.Option(help="Adam learning rate.")] = 3e-4,
    hidden: Annotated[int, typer.Option(help="Classifier hidden width.")] = 512,
    classes: Annotated[int, typer.Option(help="Synthetic: identities / object classes.")] = 32,
    per_class: Annotated[int, typer.Option(help="Synthetic: images per class.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    workers: Annotated[int, typer.Option(help="Data-loader worker processes.")] = 0,
    device: DeviceOpt = "auto",
) -> None:
    """Pre-train a whole network on face identities or object classes; saves a torchvision-format
    state dict for --weights file:CKPT.pth. Runs data-parallel under torchrun."""
    from facepsych.train.pretrain import PretrainConfig, pretrain

    _check_device(device)
    cfg = PretrainConfig(
        task=task, arch=arch, data=data, epochs=epochs, image_size=image_size,
        batch_size=batch_size, lr=lr, hidden=hidden, classes=classes, per_class=per_class,
        seed=seed, workers=workers, device=device,
    )  # fmt: skip
    res = pretrain(cfg, out)
    last = res.history[-1]
    if res.rank == 0:
        typer.echo(
            f"wrote {res.path} ({res.num_classes} classes, {res.world_size} process(es), "
            f"val acc {last['val_acc']:.3f}, {res.seconds:.0f} s)"
        )


@app.command("demo")
def demo_command(
    quick: Annotated[bool, typer.Option("--quick", help="alexnet and fe-alexnet only.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default facepsych-runs/demo…).")
    ] = None,
    scale: Annotated[
        str, typer.Option(help="default, or tiny (a seconds-long version for tests).")
    ] = "default",
    workers: Annotated[int, typer.Option(help="Cells run in parallel (processes).")] = 1,
    force: Annotated[
        bool, typer.Option("--force", help="Discard an existing run in --out and start over.")
    ] = False,
    device: StudyDeviceOpt = None,
) -> None:
    """The whole paradigm on the built-in synthetic face lab, on a CPU, in minutes."""
    from facepsych.study import run_demo_study

    run_dir = run_demo_study(
        out, quick=quick, scale=scale, workers=workers, force=force, device=device
    )
    typer.echo(f"run folder: {run_dir}")
    typer.echo(f"report: {(run_dir / 'report.html').resolve()}")


# ---- entry point


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn :class:`FacepsychError` into ``error: …`` on stderr and exit status 2."""
    import os

    from facepsych.runtime import THREADS_ENV

    threads_env = os.environ.get(THREADS_ENV)
    try:
        _run(argv)
    finally:  # --threads holds for this command only (matters when main() is called in-process)
        if threads_env is None:
            os.environ.pop(THREADS_ENV, None)
        else:
            os.environ[THREADS_ENV] = threads_env


def _run(argv: list[str] | None) -> None:
    try:
        app(args=argv, standalone_mode=False)
    except FacepsychError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # disk full, permissions, a file where a folder goes: one line
        from facepsych.errors import os_error

        typer.echo(f"error: {os_error(exc)}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors (typer >= 0.29 vendors its own click copy)
        exit_code = getattr(exc, "exit_code", None)
        if isinstance(exit_code, int):
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            sys.exit(exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
