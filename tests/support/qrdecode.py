"""Decode the QR codes on a page, in the browser, with the vendored zxing-wasm polyfill.

Each inline SVG is serialised, drawn on a white canvas with a quiet-zone
margin and handed to the polyfill's BarcodeDetector, like a camera frame.
"""

DECODE_SVGS = """
async (selector) => {
  const zxing = await import('/static/vendor/barcode-detector/dist/es/ponyfill.js');
  // Must run before the first BarcodeDetector: otherwise the .wasm comes from a CDN.
  await zxing.prepareZXingModule({
    overrides: {locateFile: (path, prefix) => path.endsWith('.wasm')
      ? '/static/vendor/zxing-wasm/dist/reader/zxing_reader.wasm' : prefix + path},
    fireImmediately: true,
  });
  const detector = new zxing.BarcodeDetector({formats: ['qr_code']});
  const results = [];
  for (const holder of document.querySelectorAll(selector)) {
    const svg = holder.querySelector('svg');
    const xml = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(xml);
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 400;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 400, 400);
    ctx.drawImage(img, 40, 40, 320, 320);
    const codes = await detector.detect(canvas);
    results.push({token: holder.dataset.token || null, text: codes.length ? codes[0].rawValue : null});
  }
  return results;
}
"""


def decode_qr_codes(page, selector: str) -> list[dict]:
    """[{token: data-token of the holder, text: decoded QR text or None}, ...]"""
    return page.evaluate(DECODE_SVGS, selector)
