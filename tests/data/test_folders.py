from __future__ import annotations

import pytest

from facepsych.data import load_dataset
from facepsych.data.folders import identity_from_filename
from facepsych.errors import FacepsychError

from .conftest import write_csv, write_image


def test_identity_from_filename():
    assert identity_from_filename("George_W_Bush_0012.jpg") == "George_W_Bush"
    assert identity_from_filename("Avinash_10.jpg") == "Avinash"
    assert identity_from_filename("facial-expressions_2868582k.jpg") == (
        "facial-expressions_2868582k"
    )


def test_facial_expressions_legend(legend_dir):
    ds = load_dataset(legend_dir, "facial_expressions", val_fraction=0.34, seed=0)
    # per person: happiness, SADNESS, HAPPINESS, anger kept; Neutral excluded
    assert len(ds) == 12
    assert ds.class_counts() == {"negative": 6, "positive": 6}
    assert {s.identity for s in ds} == {"Ann_Lee", "Bob", "Cy"}
    train_ids = {s.identity for s in ds.split("train")}
    val_ids = {s.identity for s in ds.split("val")}
    assert train_ids and val_ids and not train_ids & val_ids
    img = ds.load_image(ds.samples[0])
    assert img.mode == "RGB" and img.size == (16, 16)
    assert ds.summary()["identities"] == 3


def test_legend_missing_column(tmp_path):
    write_csv(tmp_path / "legend.csv", "user.id,image,label", ["1,a.jpg,happy"])
    with pytest.raises(FacepsychError) as exc:
        load_dataset(tmp_path, "facial_expressions")
    assert str(exc.value) == (
        f"{tmp_path / 'legend.csv'}: missing required column(s) emotion "
        "(found: user.id, image, label)"
    )


def test_legend_missing_image_names_line_and_column(legend_dir):
    (legend_dir / "images" / "Bob_0002.jpg").unlink()
    with pytest.raises(FacepsychError) as exc:
        load_dataset(legend_dir, "facial_expressions")
    msg = str(exc.value)
    assert msg.startswith("legend.csv line 8, column 'image': image not found: ")
    assert msg.endswith("Bob_0002.jpg (use --skip-bad to skip bad inputs)")
    assert "\n" not in msg


def test_legend_corrupt_image(legend_dir):
    (legend_dir / "images" / "Cy_0001.jpg").write_bytes(b"not an image at all")
    match = r"legend.csv line 12, column 'image': unreadable image"
    with pytest.raises(FacepsychError, match=match):
        load_dataset(legend_dir, "facial_expressions")


def test_label_outside_mapping(legend_dir):
    text = (legend_dir / "legend.csv").read_text().replace("anger", "grumpy", 1)
    (legend_dir / "legend.csv").write_text(text)
    with pytest.raises(FacepsychError) as exc:
        load_dataset(legend_dir, "facial_expressions")
    assert str(exc.value).startswith(
        "legend.csv line 6, column 'emotion': label 'grumpy' is not in the valence map 'default' "
        "(positive: happy; negative: anger, contempt, disgust, fear, sad; excluded: "
    )


def test_skip_bad_records_every_bad_row(legend_dir):
    (legend_dir / "images" / "Bob_0002.jpg").unlink()
    (legend_dir / "images" / "Cy_0001.jpg").write_bytes(b"junk")
    text = (legend_dir / "legend.csv").read_text().replace("anger", "grumpy", 1)
    (legend_dir / "legend.csv").write_text(text)
    ds = load_dataset(legend_dir, "facial_expressions", skip_bad=True)
    assert len(ds) == 12 - 3
    items = [s["item"] for s in ds.skipped]
    assert items == [
        "legend.csv line 6, column 'emotion'",
        "legend.csv line 8, column 'image'",
        "legend.csv line 12, column 'image'",
    ]
    assert ds.summary()["skipped"] == 3


def test_folder_of_label_subfolders(tmp_path):
    for k in range(3):
        write_image(tmp_path / "positive" / f"p{k}.png", 200)
        write_image(tmp_path / "negative" / f"n{k}.png", 30)
    write_image(tmp_path / "neutral" / "x.png", 100)  # excluded by the default map
    (tmp_path / "positive" / "notes.txt").write_text("not an image")
    ds = load_dataset(tmp_path, "folder", val_fraction=0.34)
    assert ds.class_counts() == {"negative": 3, "positive": 3}
    assert sorted(s.image_id for s in ds)[:2] == ["negative/n0.png", "negative/n1.png"]
    assert ds.split("val").class_counts() == {"negative": 1, "positive": 1}


def test_folder_with_emotion_names_and_split_folders(tmp_path):
    for split in ("train", "val"):
        write_image(tmp_path / split / "Happy" / "a.png", 200)
        write_image(tmp_path / split / "sad" / "b.png", 20)
    ds = load_dataset(tmp_path, "folder", valence="happy-sad")
    assert {(s.image_id, s.split, s.label) for s in ds} == {
        ("train/Happy/a.png", "train", 1),
        ("train/sad/b.png", "train", 0),
        ("val/Happy/a.png", "val", 1),
        ("val/sad/b.png", "val", 0),
    }
    assert ds.split_source == "dataset"


def test_folder_unknown_subfolder_label(tmp_path):
    write_image(tmp_path / "positive" / "a.png")
    write_image(tmp_path / "grumpy" / "b.png")
    with pytest.raises(FacepsychError, match=r"folder .*grumpy: label 'grumpy' is not in"):
        load_dataset(tmp_path, "folder")


def test_labels_csv_with_identity_and_split(tmp_path):
    rows = []
    for person in ("id0", "id1", "id2", "id3"):
        for k, label in enumerate(("positive", "negative", "1", "0")):
            name = f"faces/{person}_{k}.png"
            write_image(tmp_path / name, 50 + 40 * k)
            rows.append(f"{name},{label},{person},")
    write_csv(tmp_path / "labels.csv", "file,label,identity,split", rows)
    ds = load_dataset(tmp_path, "folder", val_fraction=0.25, seed=1)
    assert ds.class_counts() == {"negative": 8, "positive": 8}
    val_ids = {s.identity for s in ds.split("val")}
    assert len(val_ids) == 1 and not val_ids & {s.identity for s in ds.split("train")}


def test_labels_csv_given_splits(tmp_path):
    rows = []
    for k, (label, split) in enumerate(
        [("happy", "train"), ("sad", "train"), ("happy", "validation"), ("sad", "test")]
    ):
        write_image(tmp_path / f"{k}.png", 30 * k)
        rows.append(f"{k}.png,{label},,{split}")
    write_csv(tmp_path / "labels.csv", "file,label,identity,split", rows)
    ds = load_dataset(tmp_path, "folder")
    assert [s.split for s in ds] == ["train", "train", "val", "test"]
    assert ds.samples[0].identity is None


def test_labels_csv_bad_split_and_missing_file(tmp_path):
    write_image(tmp_path / "a.png")
    write_csv(tmp_path / "labels.csv", "file,label,split", ["a.png,happy,holdout"])
    with pytest.raises(FacepsychError, match="labels.csv line 2, column 'split': unknown split"):
        load_dataset(tmp_path, "folder")
    write_csv(tmp_path / "labels.csv", "file,label", ["b.png,happy"])
    with pytest.raises(FacepsychError, match="labels.csv line 2, column 'file': image not found"):
        load_dataset(tmp_path, "folder")


def test_unknown_format_and_missing_path(tmp_path):
    with pytest.raises(FacepsychError, match="unknown dataset format 'csv'"):
        load_dataset(tmp_path, "csv")
    with pytest.raises(FacepsychError, match="dataset path not found"):
        load_dataset(tmp_path / "nope", "folder")


def test_threshold_map_needs_affectnet(legend_dir):
    with pytest.raises(FacepsychError, match="valence:T threshold needs AffectNet"):
        load_dataset(legend_dir, "facial_expressions", valence="valence:0.1")
