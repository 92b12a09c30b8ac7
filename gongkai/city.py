"""The city file: agencies as data. Parsing reports every problem by agency and field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from shared.contracts.agencies import AgencyConfigured

DEMO_CITY = Path(__file__).parent / "demo" / "city.yaml"


class CityFileError(Exception):
    pass


def read_city(path: Path) -> list[AgencyConfigured]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CityFileError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("agencies"), list):
        raise CityFileError(f"{path}: expected a mapping with a list under 'agencies'")
    agencies, problems, seen, prefixes = [], [], set(), {}
    for i, entry in enumerate(data["agencies"], start=1):
        if not isinstance(entry, dict):
            problems.append(f"agency #{i}: expected a mapping")
            continue
        entry = {("agency_id" if k == "id" else k): v for k, v in entry.items()}
        label = entry.get("agency_id", f"#{i}")
        try:
            agency = AgencyConfigured.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "(entry)"
                problems.append(f"agency {label}: {field}: {err['msg']}")
            continue
        if agency.agency_id in seen:
            problems.append(f"agency {label}: id listed twice")
        seen.add(agency.agency_id)
        if agency.letter_prefix and agency.letter_prefix in prefixes:
            # Two agencies with one 机关代字 would issue letters with the same number.
            problems.append(f"agency {label}: letter_prefix {agency.letter_prefix} is also "
                            f"{prefixes[agency.letter_prefix]}'s")
        prefixes.setdefault(agency.letter_prefix, agency.agency_id)
        agencies.append(agency)
    if problems:
        raise CityFileError(f"{path}:\n  " + "\n  ".join(problems))
    return agencies
