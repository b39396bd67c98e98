"""The built-in metric catalog and the bundled sample dataset."""

from __future__ import annotations

from typing import Final

from antq_core._dataset.builtin import Catalog, builtin_catalog
from antq_core._dataset.dataset import Dataset
from antq_core._util.data import bundled_bytes, checked_digest, data_bytes, data_source
from antq_core._values.geo import Gazetteer, checked_gazetteer
from antq_core._values.groups import UnitGroupSet, read_group_sets

__all__ = [
    "SAMPLE",
    "Catalog",
    "builtin_catalog",
    "bundled_gazetteer",
    "bundled_group_sets",
    "sample",
]

SAMPLE: Final = "lai_chau_2017.json"
"""The bundled file of :func:`sample`, in ``antq_core/data/``."""


def bundled_gazetteer(name: str = "lai_chau_2017") -> Gazetteer:
    """A gazetteer that ships with the library, by name.

    ``"lai_chau_2017"``: Lai Châu province before the 2025 reform, version
    ``vn-2017``: the province, its 8 districts, its 106 communes with their
    GSO codes, and the villages the sample names, with local codes.

    ``"lai_chau_2025"``: Lai Châu from 1 July 2025, version ``vn-2025``: the
    province and its 38 commune-level units (36 xã, 2 phường) with their GSO
    codes, after Nghị quyết 1670/NQ-UBTVQH15; no districts.
    :func:`~antq_core.bundled_crosswalk` maps the first onto the second.

    ``"vn_2025_06"``: the whole country as it was until 30 June 2025, version
    ``vn-2025-06``, three tiers: the country root ``"VN"``, 63 provinces, 696
    district-level units and 10,035 communes. Lai Châu in it is
    ``"lai_chau_2017"`` without the villages.

    ``"vn_2025_07"``: the whole country from 1 July 2025, version
    ``vn-2025-07``, two tiers: ``"VN"``, 34 provinces and 3,321 communes
    (2,621 xã, 687 phường, 13 đặc khu). Lai Châu in it is ``"lai_chau_2025"``.
    :func:`~antq_core.bundled_crosswalk` ``"vn_2025_06_07"`` maps the first onto
    the second. Each lists its sources, and every choice made between them, in
    :attr:`~antq_core.Gazetteer.sources` and :attr:`~antq_core.Gazetteer.notes`.

    >>> gaz = bundled_gazetteer()
    >>> gaz.version, len(gaz.children("12"))
    ('vn-2017', 8)
    >>> vn = bundled_gazetteer("vn_2025_07")
    >>> len(vn.children("VN")), vn.unit("12").full_name
    (34, 'tỉnh Lai Châu')

    Raises:
        InvalidValueError: No bundled gazetteer has that name.
    """
    raw = bundled_bytes("gazetteer", name)
    file = f"gazetteer_{name}.json"
    if checked_digest(file, raw):  # the bytes the tests checked: no need to check each unit again
        checked = checked_gazetteer(raw)
        if checked is not None:
            return checked
    return Gazetteer.from_json(raw, source=data_source(file))


def bundled_group_sets(name: str = "vn_regions") -> dict[str, UnitGroupSet]:
    """The unit group sets that ship with the library, by id.

    ``"vn_regions"``: group set ``"region"``, the six socio-economic regions
    (vùng kinh tế - xã hội) of Nghị quyết 81/2023/QH15, exclusive, with members
    on both national gazetteers: on ``vn-2025-06`` the 63 provinces; on
    ``vn-2025-07`` the provinces formed within one region, and the communes of
    the seven formed across two, each in the region of the old communes it was
    formed from. Any other grouping is the user's data
    (:func:`~antq_core.read_group_sets`).

    >>> regions = bundled_group_sets()["region"]
    >>> [g.name_vi for g in regions.groups][:2]
    ['Trung du và miền núi phía Bắc', 'Đồng bằng sông Hồng']

    Raises:
        InvalidValueError: No bundled group file has that name.

    .. versionadded:: 0.1.0
    """
    raw = bundled_bytes("groups", name)
    return read_group_sets(raw, source=f"antq_core/data/groups_{name}.json")


def sample() -> Dataset:
    """The bundled Lai Châu 2017 dataset.

    The article of Báo Lai Châu of 13 July 2017 on the province's typical
    models, as data: every initiative it names, their sites, every figure
    with its period, unit and qualifier.

    Each call loads a fresh copy from the package data.

    >>> ds = sample()
    >>> ds.metadata.title_en
    'Typical models of the ANTQ movement in Lai Châu, July 2017'
    """
    return Dataset.from_json(data_bytes(SAMPLE), source=data_source(SAMPLE))
