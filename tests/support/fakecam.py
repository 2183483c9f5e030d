"""A fake camera for browser tests: a Y4M video that shows one QR code.

Chromium started with ``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture=<file.y4m>`` plays this file as its camera.
One frame is enough (Chromium loops it), and Chromium reads the file again at
each camera request, so rewriting it between page loads shows another badge.
"""

from __future__ import annotations

import os
from pathlib import Path

import qrcode
from PIL import Image

WIDTH, HEIGHT = 640, 480
HEADER = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F15:1 Ip A1:1 C420jpeg\n".encode()
BACKGROUND = 200  # light grey, so the white quiet zone around the code is visible


def qr_frame(text: str, size_px: int = 300) -> Image.Image:
    """A 640x480 RGB frame with a QR code of `text` (quiet zone included) centred on grey."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    # NEAREST keeps modules sharp-edged, as a printed badge would be.
    code = code.resize((size_px, size_px), Image.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), (BACKGROUND,) * 3)
    frame.paste(code, ((WIDTH - size_px) // 2, (HEIGHT - size_px) // 2))
    return frame


def y4m_bytes(frame: Image.Image, frames: int = 1) -> bytes:
    """Encode an RGB image as a Y4M 4:2:0 stream of `frames` identical frames."""
    y, cb, cr = frame.convert("YCbCr").split()
    half = (frame.width // 2, frame.height // 2)
    # 4:2:0: one chroma sample per 2x2 block, the block's average (BOX).
    planes = y.tobytes() + cb.resize(half, Image.BOX).tobytes() + cr.resize(half, Image.BOX).tobytes()
    return HEADER + (b"FRAME\n" + planes) * frames


def write_qr_y4m(path: str | os.PathLike, text: str, size_px: int = 300) -> Path:
    """Write a one-frame Y4M file at `path` showing a QR code of `text`; return the path.

    Written to a temporary name and renamed, so a browser that opens the camera
    meanwhile never reads half a file.
    """
    if not 21 <= size_px <= min(WIDTH, HEIGHT):
        raise ValueError(f"size_px must be between 21 and {min(WIDTH, HEIGHT)}")
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(y4m_bytes(qr_frame(text, size_px)))
    tmp.replace(path)
    return path
