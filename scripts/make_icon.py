"""Draw the program icon (resources/icon.png, icon.ico): 三社 in white on a red rounded square.

Run once after changing the design: ``python scripts/make_icon.py``; the results are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
RED = (196, 30, 42, 255)
GOLD = (250, 214, 95, 255)
SIZE = 512


def draw() -> Image.Image:
    """The 512-pixel master image."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((16, 16, SIZE - 16, SIZE - 16), radius=96, fill=RED)
    # Three joined dots stand for the three parties (community, social organisation, social worker).
    pen.rounded_rectangle((136, 372, 376, 392), radius=10, fill=GOLD)
    for cx in (136, 256, 376):
        pen.ellipse((cx - 40, 342, cx + 40, 422), fill=GOLD)
    font = ImageFont.truetype(str(FONT), 200, index=0) if FONT.exists() else ImageFont.load_default()
    pen.text((SIZE // 2, 190), "三社", font=font, fill="white", anchor="mm")
    return image


def main() -> None:
    out = ROOT / "resources"
    out.mkdir(exist_ok=True)
    master = draw()
    master.resize((256, 256), Image.Resampling.LANCZOS).save(out / "icon.png")
    master.save(out / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
