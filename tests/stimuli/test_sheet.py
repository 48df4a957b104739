"""Contact sheets: grid geometry and tile placement."""

from __future__ import annotations

import numpy as np
from PIL import Image

from facepsych.stimuli import contact_sheet


def test_tiles_in_reading_order(tmp_path):
    frames = [Image.new("RGB", (20, 10), (10 * i, 0, 0)) for i in range(5)]
    sheet = contact_sheet(frames, tmp_path / "s.png", columns=3, thumb=20)
    assert sheet.size == (60, 2 * (10 + 14)) and (tmp_path / "s.png").is_file()
    arr = np.asarray(sheet)
    assert arr[5, 25, 0] == 10 and arr[24 + 5, 25, 0] == 40  # tile 1 (row 0), tile 4 (row 1)
    assert tuple(arr[24 + 5, 45]) == (255, 255, 255)  # no sixth tile
