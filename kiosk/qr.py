"""QR codes as inline SVG (qrcode's path image: one <path>, small and crisp at any size)."""
from __future__ import annotations

import io
from functools import lru_cache

import qrcode
import qrcode.image.svg
from markupsafe import Markup


@lru_cache(maxsize=4096)
def qr_svg_text(data: str, border: int = 2) -> str:
    """SVG markup for ``data``. Error correction M: survives a scuffed badge."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    # drop the XML declaration so the SVG can sit inline in HTML
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:].lstrip()
    return svg


def qr_svg(data: str) -> Markup:
    """Inline-SVG QR for templates. qrcode escapes nothing into the markup
    except path data, so the result is safe to mark up."""
    return Markup(qr_svg_text(data))
