"""An approximate map of Iraq's governorates, made here from public facts and shipped as a JSON file
(``static/iraq-governorates.json``): no tile server, no download.

How approximate: the country outline is a 30-point polygon (the shape of the small-scale, 1:110m public
domain outline, typed in: errors of 10-30 km along the border); each governorate is the part of that
outline nearer to its centroid (``classifiers/events/gazetteer.yaml``) than to any other centroid (a
Voronoi cell). Real governorate borders follow rivers and old district lines: the cells get the
neighbours and the rough size right, the borders wrong by tens of kilometres. Good for "where are the
alerts", not for geography. ``python -m monitor.web.iraq_map`` writes the file again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["MAP_FILE", "load_map", "make_map"]

MAP_FILE = Path(__file__).parent / "static" / "iraq-governorates.json"
GAZETTEER = Path(__file__).resolve().parents[2] / "classifiers" / "events" / "gazetteer.yaml"

# (lon, lat), clockwise from the Syria-Turkey-Iraq corner
OUTLINE: list[tuple[float, float]] = [
    (42.35, 37.23), (42.78, 37.39), (43.94, 37.26), (44.29, 37.00), (44.77, 37.17), (45.42, 35.98),
    (46.08, 35.68), (46.15, 35.09), (45.65, 34.75), (45.42, 33.97), (46.11, 33.02), (47.33, 32.47),
    (47.85, 31.71), (47.69, 30.98), (48.00, 30.99), (48.01, 30.45), (48.57, 29.93), (47.97, 29.98),
    (47.30, 30.06), (46.57, 29.10), (44.71, 29.18), (41.89, 31.19), (40.40, 31.89), (39.20, 32.16),
    (38.79, 33.38), (41.01, 34.42), (41.38, 35.63), (41.29, 36.36), (41.84, 36.61), (42.35, 37.23),
]
WIDTH = 600  # SVG units; the height follows the outline's aspect (lon scaled by cos(33.5°))


def _clip(poly: list[tuple[float, float]], a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """The part of ``poly`` nearer to ``a`` than to ``b`` (Sutherland-Hodgman against one half-plane)."""
    nx, ny = b[0] - a[0], b[1] - a[1]
    mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)

    def side(p: tuple[float, float]) -> float:
        return (p[0] - mid[0]) * nx + (p[1] - mid[1]) * ny  # < 0: a's side

    out: list[tuple[float, float]] = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        sc, sp = side(cur), side(prev)
        if sc <= 0:
            if sp > 0:
                t = sp / (sp - sc)
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            out.append(cur)
        elif sp <= 0:
            t = sp / (sp - sc)
            out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
    return out


def make_map(gazetteer: Path = GAZETTEER) -> dict[str, Any]:
    data = yaml.safe_load(gazetteer.read_text(encoding="utf-8"))
    govs = {v["en"]: (float(v["lon"]), float(v["lat"]), v.get("ar")) for v in data["governorates"].values()}
    lons = [p[0] for p in OUTLINE]
    lats = [p[1] for p in OUTLINE]
    kx = 0.834  # cos(33.5°): degrees of longitude are shorter than of latitude here
    scale = WIDTH / ((max(lons) - min(lons)) * kx)
    height = round((max(lats) - min(lats)) * scale)

    def xy(p: tuple[float, float]) -> tuple[float, float]:
        return round((p[0] - min(lons)) * kx * scale, 1), round((max(lats) - p[1]) * scale, 1)

    ring = OUTLINE[:-1]
    cells = {}
    for name, (lon, lat, ar) in sorted(govs.items()):
        cell = _scaled(ring)
        for other, (olon, olat, _) in govs.items():
            if other != name:
                cell = _clip(cell, (lon * kx, lat), (olon * kx, olat)) if cell else cell
        # clipping ran in scaled lon so that "nearer" is measured in kilometres, not degrees
        cell = [(x / kx, y) for x, y in cell]
        cells[name] = {"ar": ar, "path": "M" + " L".join(f"{x},{y}" for x, y in map(xy, cell)) + " Z",
                       "label": xy((lon, lat))}
    return {"width": WIDTH, "height": height, "outline": "M" + " L".join(f"{x},{y}" for x, y in map(xy, ring)) + " Z",
            "governorates": cells, "note": "approximate: Voronoi cells of governorate centroids inside a "
            "30-point outline; see monitor/web/iraq_map.py"}


def _scaled(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(x * 0.834, y) for x, y in ring]


def load_map() -> dict[str, Any]:
    return dict(json.loads(MAP_FILE.read_text(encoding="utf-8")))


if __name__ == "__main__":
    MAP_FILE.write_text(json.dumps(make_map(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MAP_FILE}")
