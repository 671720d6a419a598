#!/usr/bin/env python3
"""Regenerate offers/data/{communes,departements,regions}.tsv from Etalab's
administrative-division data (npm package @etalab/decoupage-administratif).

Usage: python3 scripts/communes.py [VERSION]   (default: the version in offers/data/SOURCE.md)
Needs npm (to fetch the package tarball) and Python 3.
"""
import json
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "offers" / "data"


def current_version():
    text = (DATA / "SOURCE.md").read_text(encoding="utf-8")
    return re.search(r"@etalab/decoupage-administratif@([0-9.]+)", text).group(1)


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else current_version()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"@etalab/decoupage-administratif@{version}"],
            cwd=tmp, check=True, stdout=subprocess.DEVNULL,
        )
        tarball = next(pathlib.Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        src = pathlib.Path(tmp) / "package" / "data"
        regions = json.loads((src / "regions.json").read_text(encoding="utf-8"))
        departements = json.loads((src / "departements.json").read_text(encoding="utf-8"))
        communes = json.loads((src / "communes.json").read_text(encoding="utf-8"))

    known_regions = {r["code"] for r in regions}
    with open(DATA / "regions.tsv", "w", encoding="utf-8") as out:
        for r in sorted(regions, key=lambda r: r["code"]):
            out.write(f"{r['code']}\t{r['nom']}\n")
    known_departements = set()
    with open(DATA / "departements.tsv", "w", encoding="utf-8") as out:
        for d in sorted(departements, key=lambda d: d["code"]):
            # Overseas collectivities without a region (975, 977, 978, 984, 986–989) get an empty region.
            region = d.get("region", "") if d.get("region", "") in known_regions else ""
            out.write(f"{d['code']}\t{d['nom']}\t{region}\n")
            known_departements.add(d["code"])
    count = 0
    with open(DATA / "communes.tsv", "w", encoding="utf-8") as out:
        for c in sorted(communes, key=lambda c: c["code"]):
            if c.get("type") != "commune-actuelle" or c.get("departement") not in known_departements:
                continue
            postcodes = " ".join(sorted(set(c.get("codesPostaux", []))))
            out.write(f"{c['code']}\t{c['nom']}\t{c['departement']}\t{postcodes}\t{c.get('population', 0)}\n")
            count += 1
    print(f"{count} communes, {len(known_departements)} departements, {len(known_regions)} regions")


if __name__ == "__main__":
    main()
