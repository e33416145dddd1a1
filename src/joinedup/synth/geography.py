"""The fictional locality of the synthetic partnership: postcode -> street -> ward -> district.

The geography ships with the package as `joinedup/data/geography.csv` (one row per postcode
unit). It is fictional: the postcode area `FE` does not exist in the UK, but every postcode
has the valid format (`FE12 3AB`: outward code, sector digit, two unit letters from the
letters Royal Mail allows). `python -m joinedup.synth.geography` rebuilds the file from the
word lists below, so the shipped data can be reproduced and reviewed.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

GEOGRAPHY_RESOURCE = "data/geography.csv"
COLUMNS = (
    "postcode",
    "street",
    "locality",
    "post_town",
    "ward_code",
    "ward_name",
    "district_code",
    "district_name",
    "weight",
)

# Letters Royal Mail uses in the unit part of a postcode (never C, I, K, M, O or V).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
POSTCODE_AREA = "FE"

# district code, district name, post town, ward names (each ward gets its own outward code)
DISTRICTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "FEN-D1",
        "Fenmoor",
        "Fenmoor",
        (
            "Abbey",
            "Castle",
            "Market",
            "Riverside",
            "St Anne's",
            "Northgate",
            "Southfields",
            "Westbury",
            "Eastbrook",
            "Priory",
        ),
    ),
    (
        "FEN-D2",
        "Ashby Marsh",
        "Ashby",
        ("Ashby", "Marsh End", "Holme", "Saltings", "Fleetwood Green", "Decoy"),
    ),
    (
        "FEN-D3",
        "Kelsey Vale",
        "Kelsey",
        ("Kelsey", "Upper Kelsey", "Thornby", "Wrenham", "Oakley", "Brindle Cross"),
    ),
)

STREET_STEMS = (
    "Mill", "Church", "Station", "Victoria", "Oak", "Willow", "Kingfisher", "Albert", "Queen's",
    "King's", "Park", "Manor", "School", "Chapel", "Orchard", "Meadow", "Riverside", "Bridge",
    "Green", "High", "Elm", "Ash", "Beech", "Cedar", "Hazel", "Rowan", "Holly", "Birch", "Larch",
    "Poplar", "Sycamore", "Chestnut", "Alder", "Hawthorn", "Heron", "Swan", "Otter", "Lapwing",
    "Curlew", "Plover", "Skylark", "Wren", "Robin", "Thrush", "Falcon", "Kestrel", "Osprey",
    "Marsh", "Fen", "Dyke", "Drove", "Sluice", "Lock", "Wharf", "Ferry", "Harbour", "Quay",
    "Abbey", "Priory", "Castle", "Market", "Tower", "Windmill", "Granary", "Malting", "Tannery",
    "Brewery", "Forge", "Smithy", "Pinfold", "Glebe", "Rectory", "Vicarage", "Grange", "Hall",
    "Lodge", "Paddock", "Spinney", "Copse", "Coppice", "Heath", "Common", "Moor", "Dale", "Brook",
    "Spring", "Well", "Pond", "Lake", "Nelson", "Wellington", "Churchill", "Gladstone", "Milton",
    "Shelley", "Byron", "Keats", "Tennyson", "Wordsworth", "Darwin", "Newton", "Faraday",
    "Stephenson", "Brunel", "Telford", "Cromwell", "Hereward", "Ely", "Lincoln", "York",
    "Norfolk", "Suffolk", "Cambridge", "Oxford", "Windsor", "Balmoral", "Sandringham", "Clarence",
    "Coronation", "Jubilee", "Festival", "Primrose", "Bluebell", "Foxglove", "Lavender", "Clover",
    "Bramble", "Thistle", "Heather", "Daisy", "Poppy", "Snowdrop", "Tulip", "Saxon", "Viking",
    "Roman", "Norman", "Tudor", "Stuart", "Georgian", "Regent", "Crown", "Anchor", "Bell",
    "Mitre", "Plough", "Harrow", "Sheaf", "Barley", "Wheat", "Oat", "Flax", "Hemp", "Reed",
    "Rush", "Sedge", "Osier",
)  # fmt: skip

STREET_SUFFIXES = (
    ("Road", 14), ("Street", 10), ("Lane", 10), ("Close", 9), ("Avenue", 6), ("Drive", 6),
    ("Way", 5), ("Crescent", 4), ("Gardens", 4), ("Court", 3), ("Grove", 3), ("Place", 2),
    ("Terrace", 2), ("Walk", 2), ("Rise", 2), ("View", 2), ("Mews", 1), ("Row", 1),
)  # fmt: skip


@dataclass(frozen=True)
class Geography:
    """The postcode units of the locality as parallel numpy arrays (one entry per postcode)."""

    postcode: np.ndarray
    street: np.ndarray
    locality: np.ndarray
    post_town: np.ndarray
    ward_code: np.ndarray
    ward_name: np.ndarray
    district_code: np.ndarray
    district_name: np.ndarray
    weight: np.ndarray  # relative number of homes in the postcode
    street_id: np.ndarray  # the street (within its ward) each postcode is on
    postcodes_on_street: np.ndarray  # how many postcodes share that street
    index_on_street: np.ndarray  # 0-based position of the postcode among them

    def __len__(self) -> int:
        return len(self.postcode)


def build_rows(seed: int = 2025) -> list[dict[str, str]]:
    """The geography as rows (deterministic for the seed); used to (re)build the data file."""
    rng = random.Random(seed)
    suffixes = [s for s, _ in STREET_SUFFIXES]
    suffix_weights = [w for _, w in STREET_SUFFIXES]
    rows: list[dict[str, str]] = []
    outward = 0
    for district_code, district_name, post_town, wards in DISTRICTS:
        urban = post_town == "Fenmoor"
        for ward_no, ward_name in enumerate(wards, 1):
            outward += 1
            ward_code = f"{district_code}-W{ward_no:02d}"
            n_streets = rng.randint(50, 90) if urban else rng.randint(30, 60)
            names: list[str] = []
            seen: set[str] = set()
            while len(names) < n_streets:
                name = f"{rng.choice(STREET_STEMS)} {rng.choices(suffixes, suffix_weights)[0]}"
                if name not in seen:
                    seen.add(name)
                    names.append(name)
            used_units: set[str] = set()
            for street in names:
                sector = rng.randint(1, 9)
                for _ in range(rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]):
                    while True:
                        unit = f"{sector}{rng.choice(UNIT_LETTERS)}{rng.choice(UNIT_LETTERS)}"
                        if unit not in used_units:
                            used_units.add(unit)
                            break
                    weight = rng.randint(8, 40) if urban else rng.randint(3, 25)
                    rows.append(
                        {
                            "postcode": f"{POSTCODE_AREA}{outward} {unit}",
                            "street": street,
                            "locality": ward_name,
                            "post_town": post_town,
                            "ward_code": ward_code,
                            "ward_name": ward_name,
                            "district_code": district_code,
                            "district_name": district_name,
                            "weight": str(weight),
                        }
                    )
    return rows


def rows_to_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def geography_csv_text() -> str:
    """The shipped geography file's text (package data)."""
    return resources.files("joinedup").joinpath(GEOGRAPHY_RESOURCE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def load_geography() -> Geography:
    """The shipped geography, read once per process."""
    rows = list(csv.DictReader(io.StringIO(geography_csv_text())))
    cols = {c: np.array([r[c] for r in rows], dtype=object) for c in COLUMNS}
    street_key = np.array([f"{r['ward_code']}|{r['street']}" for r in rows], dtype=object)
    _, street_id, counts = np.unique(street_key, return_inverse=True, return_counts=True)
    index_on_street = np.zeros(len(rows), dtype=np.int64)
    seen: dict[int, int] = {}
    for i, s in enumerate(street_id.tolist()):
        index_on_street[i] = seen.get(s, 0)
        seen[s] = index_on_street[i] + 1
    return Geography(
        postcode=cols["postcode"],
        street=cols["street"],
        locality=cols["locality"],
        post_town=cols["post_town"],
        ward_code=cols["ward_code"],
        ward_name=cols["ward_name"],
        district_code=cols["district_code"],
        district_name=cols["district_name"],
        weight=cols["weight"].astype(np.float64),
        street_id=street_id.astype(np.int64),
        postcodes_on_street=counts[street_id].astype(np.int64),
        index_on_street=index_on_street,
    )


def main(argv: list[str] | None = None) -> int:
    """Rebuild the data file: `python -m joinedup.synth.geography [PATH]`."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else None
    text = rows_to_csv(build_rows())
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
