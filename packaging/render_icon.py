"""Render the app icon (resources/icons/torch-designer.svg) as PNGs, a Windows .ico and a macOS
.icns:

    python packaging/render_icon.py OUT_DIR

writes OUT_DIR/torch-designer-SIZE.png (16 to 1024 px), torch-designer.ico (16 to 256 px) and
torch-designer.icns (16 to 1024 px, with the @2x sizes). It needs only PySide6's SVG renderer;
both icon files hold PNG images, which Windows (since Vista) and macOS (since 10.7) read. The
PyInstaller spec calls it on Windows and macOS.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG = Path(__file__).resolve().parent.parent / "resources" / "icons" / "torch-designer.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# .icns element types and their pixel sizes (ic11 to ic14 and ic10 are the @2x variants)
ICNS_TYPES = {
    b"icp4": 16,
    b"icp5": 32,
    b"icp6": 64,
    b"ic07": 128,
    b"ic08": 256,
    b"ic09": 512,
    b"ic10": 1024,
    b"ic11": 32,
    b"ic12": 64,
    b"ic13": 256,
    b"ic14": 512,
}


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(ICO_SIZES))
    offset = len(header) + 16 * len(ICO_SIZES)
    entries, images = b"", b""
    for size in ICO_SIZES:
        data = pngs[size]
        side = size % 256  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for kind, size in ICNS_TYPES.items()
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out_dir: Path, svg: Path = SVG) -> dict[str, Path]:
    """Write the PNGs, the .ico and the .icns into ``out_dir``; their paths by suffix."""
    if QGuiApplication.instance() is None:
        app = QGuiApplication(["render_icon", "-platform", "offscreen"])  # noqa: F841
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not an SVG Qt can render")
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = {size: render_png(renderer, size) for size in PNG_SIZES}
    for size, data in pngs.items():
        (out_dir / f"torch-designer-{size}.png").write_bytes(data)
    written = {".ico": out_dir / "torch-designer.ico", ".icns": out_dir / "torch-designer.icns"}
    written[".ico"].write_bytes(ico_bytes(pngs))
    written[".icns"].write_bytes(icns_bytes(pngs))
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in write_icons(Path(sys.argv[1])).values():
        print(path)
