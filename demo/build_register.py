#!/usr/bin/env python3
"""Builds demo/register.csv (the register import format) from the 2025 report's data in
demo/source/. Run from the project root: python3 demo/build_register.py

What is real and what is generated:
- real: the 85 pledging entities, their country, region, time zone, language, pledge year and
  number of pledges (124 in all), the IDP-only flags, GCM champion flags, and the 15 pledges
  the report describes (title, scope, timeline, priority, partners, funders);
- generated, deterministically: titles of the other pledges ("Boston pledge 3 of 5 (2022)"),
  their compact scope (so that about 66% are Mirror, as the report says), and their extra
  priorities (so that the per-priority counts equal the report's: 57, 23, 75, 90, 85, 42, 29,
  51). Objectives, focus areas and SDGs follow from the priorities through the report's mapping
  table (requirements.md §c); the GCR-objective mapping is our own choice.
- demo contacts: one per organization, at an example.org address.
"""
import csv
import hashlib
import json
import os
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
QUOTA = {1: 57, 2: 23, 3: 75, 4: 90, 5: 85, 6: 42, 7: 29, 8: 51}
GCM_OBJECTIVES = {1: [23], 2: [2], 3: [7], 4: [15], 5: [16], 6: [17], 7: [7, 15], 8: [23]}
GCR_OBJECTIVES = {1: [1], 2: [4], 3: [1], 4: [1], 5: [2], 6: [2], 7: [3], 8: [1]}
FOCUS = {1: ["responsibility_sharing"], 2: ["solutions"], 3: ["protection_capacity"],
         4: ["education", "health", "energy_infrastructure"], 5: ["solutions", "jobs_livelihoods"],
         6: ["protection_capacity"], 7: ["solutions"], 8: ["responsibility_sharing"]}
SDGS = {1: [17], 2: [1, 2, 3, 13, 16, 17], 3: [1, 5, 8, 10, 16, 17], 4: [1, 3, 4, 6, 7, 11, 16],
        5: [10, 11, 16, 17], 6: [8, 10, 16, 17], 7: [1, 3, 4, 5, 6, 7, 8, 10, 11, 16, 17], 8: [17]}
NETWORKS = {"ANVITA", "C40–MMC", "FAMSI", "Cities Alliance", "Eurocities", "United Cities and Local Governments"}
NATIONAL = {"Government of Brazil and the National Network of Welcoming Cities"}
ADMIN = {"Laguna Province": "province_state_region", "Salt Lake County": "district_county"}
# Scopes the report and requirements.md state for a whole entity: Quezon City's pledge is a GCM
# pledge (its centre also serves refugees, b.0); Welcoming America's is a Mirror pledge (b.0).
STATED_SCOPE = {"Quezon City": "GCM", "Welcoming America": "MIRROR"}
# The report's priority sections (requirements.md §c).
PRIORITY_TITLES = {
    1: "Improving Migration Governance and Policy Coherence",
    2: "Minimizing Drivers of Forced Displacement, including Climate Change",
    3: "Protecting Those Most Vulnerable",
    4: "Access to Services, Urban Infrastructure, and Education Regardless of Status",
    5: "Realizing Socio-Economic Inclusion and Participation",
    6: "Eliminating Discrimination and Promoting Inclusive Public Discourse",
    7: "Reception and Community Sponsorship",
    8: "Regional & Multilateral Partnerships and City-to-City Cooperation",
}
# City-to-city joint pledges named in the report (Zürich–Tyre, Kampala–Nairobi), 2023.
JOINT = {("Tyre", 2023): "Zürich", ("Zürich", 2023): "Tyre", ("Kampala", 2023): "Nairobi", ("Nairobi", 2023): "Kampala"}


def stable(*parts):
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def slug(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in ascii_name.lower()).strip("-").replace("--", "-")


def kind(row):
    if row["kind"] == "lrg":
        return "lrg"
    if row["entity"] in NATIONAL:
        return "national_government"
    return "city_network" if row["entity"] in NETWORKS else "partner_organization"


def figure(name, value):
    """One key figure of the report in words: ("officers_trained_min", 1400) → "at least 1,400 officers trained"."""
    words = name.replace("_", " ")
    lead = ""
    for suffix, said in ((" min", "at least "), (" approx", "about "), (" est", "an estimated ")):
        if words.endswith(suffix):
            words, lead = words[: -len(suffix)], said
    if isinstance(value, dict):
        amount = f"{value['currency']} {value['amount']:,}"
        extra = "; ".join(str(v) for k, v in value.items() if k not in ("amount", "currency", "qualifier"))
        qualifier = value.get("qualifier")
        return f"{words}: {qualifier + ' ' if qualifier else lead}{amount}" + (f" ({extra})" if extra else "")
    if isinstance(value, int):
        return f"{words}: {lead}{value:,}"
    return f"{words}: {value}"


def describe(x):
    """The register description of one of the report's pledges, from what the report states of it."""
    end = "ongoing" if x["timeline_end"] == "ongoing" else x["timeline_end"]
    parts = [f"{x['title'].rstrip('.')}: a pledge of {x['local_government']} ({x['country']}), {x['timeline_start']} to {end},",
             f"listed by the report under priority {x['priority']}, {PRIORITY_TITLES[x['priority']]}."]
    if x.get("partners"):
        parts.append("Partners: " + ", ".join(x["partners"]) + ".")
    if x.get("funders"):
        parts.append("Funded by " + ", ".join(x["funders"]) + ".")
    if x.get("results"):
        parts.append("Results include " + "; ".join(x["results"]) + ".")
    numbers = [figure(k, v) for k, v in x.get("key_numbers", {}).items() if k != "beneficiaries_qualifier"]
    if numbers:
        parts.append("Key figures: " + "; ".join(numbers) + ".")
    if x.get("challenges"):
        parts.append("Challenges: " + "; ".join(x["challenges"]) + ".")
    parts.append("Source: Delivering Results, Local Coalition report (December 2025).")
    return " ".join(parts)


def main():
    entities = list(csv.DictReader(open(os.path.join(HERE, "source/pledging-entities-2022-2023.csv"), encoding="utf-8")))
    examples = json.load(open(os.path.join(HERE, "source/example-pledge-updates.json"), encoding="utf-8"))

    pledges = []
    counters = {2022: 0, 2023: 0}
    for e in entities:
        year, n = int(e["pledge_year"]), int(e["pledge_count"])
        for i in range(n):
            counters[year] += 1
            title = f"{e['entity']} pledge {i + 1} of {n} ({year})" if n > 1 else f"{e['entity']} pledge ({year})"
            pledges.append({"entity": e, "year": year, "reference": f"CLA-{year}-{counters[year]:04d}",
                            "title": title, "description": "", "scope": None, "priorities": [],
                            "start": str(year), "end": "ongoing", "co": ""})

    # The report's own pledges: prefer the pledge year that fits the timeline.
    for x in examples:
        mine = [p for p in pledges if p["entity"]["entity"] == x["local_government"] and p["scope"] is None]
        wanted = 2023 if int(x["timeline_start"]) >= 2023 else 2022
        mine.sort(key=lambda p: (p["year"] != wanted, p["reference"]))
        p = mine[0]
        p["title"] = x["title"]
        p["scope"] = {"Mirror": "MIRROR", "GCR": "GCR", "GCM": "GCM"}[x["pledge_type"]]
        p["priorities"] = [x["priority"]]
        p["start"] = str(x["timeline_start"])
        p["end"] = str(x["timeline_end"])
        p["description"] = describe(x)

    for p in pledges:
        if p["scope"] is None and p["entity"]["entity"] in STATED_SCOPE:
            p["scope"] = STATED_SCOPE[p["entity"]["entity"]]

    # Scopes: IDP-only as flagged; others so that about 66% of all pledges are Mirror.
    mirror_target = round(0.66 * len(pledges))
    mirror = sum(1 for p in pledges if p["scope"] == "MIRROR")
    for p in pledges:
        if p["scope"]:
            continue
        if p["entity"]["idp_only"] == "true":
            p["scope"] = "IDP_ONLY"
        elif mirror < mirror_target:
            p["scope"] = "MIRROR"
            mirror += 1
        else:
            p["scope"] = "GCR" if stable(p["reference"]) % 2 else "GCM"

    # Priorities: one primary each, then extras until the report's per-priority counts are met.
    quota = dict(QUOTA)
    for p in pledges:
        for q in p["priorities"]:
            quota[q] -= 1
    for p in pledges:
        if not p["priorities"]:
            primary = max(quota, key=lambda q: (quota[q], -q))
            p["priorities"].append(primary)
            quota[primary] -= 1
    for q in sorted(quota):
        while quota[q] > 0:
            candidates = [p for p in pledges if q not in p["priorities"]]
            best = min(candidates, key=lambda p: (len(p["priorities"]), stable(p["reference"], q)))
            best["priorities"].append(q)
            quota[q] -= 1
    assert all(v == 0 for v in quota.values()), quota

    for p in pledges:
        co = JOINT.pop((p["entity"]["entity"], p["year"]), None)
        if co:
            p["co"] = co
    assert not JOINT, JOINT

    columns = ["reference", "title", "description", "organization", "organization_kind", "admin_level", "country",
               "country_code", "region", "timezone", "locale", "gcm_champion_country", "compact_scope",
               "beneficiary_groups", "priorities", "gcm_objectives", "gcr_objectives", "gcr_focus_areas", "sdgs",
               "pledge_year", "timeline_start", "timeline_end", "co_pledgers", "contact_name", "contact_email"]
    out = open(os.path.join(HERE, "register.csv"), "w", encoding="utf-8", newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    union = lambda table, prios: ";".join(str(v) for v in sorted({v for q in prios for v in table[q]}, key=lambda v: (isinstance(v, str), v)))
    for p in sorted(pledges, key=lambda p: p["reference"]):
        e, scope, prios = p["entity"], p["scope"], sorted(p["priorities"])
        groups = {"MIRROR": "migrants;refugees;host_communities", "GCM": "migrants", "GCR": "refugees;host_communities",
                  "IDP_ONLY": "idps"}[scope]
        gcm = scope in ("GCM", "MIRROR")
        gcr = scope in ("GCR", "MIRROR")
        w.writerow([
            p["reference"], p["title"], p["description"], e["entity"], kind(e),
            ADMIN.get(e["entity"], "city_municipality") if e["kind"] == "lrg" else "",
            e["country"], e["country_code"], e["region"], e["timezone"], e["locale"], e["gcm_champion_country"],
            scope, groups, ";".join(map(str, prios)),
            union(GCM_OBJECTIVES, prios) if gcm else "", union(GCR_OBJECTIVES, prios) if gcr else "",
            union(FOCUS, prios) if gcr else "", union(SDGS, prios),
            p["year"], p["start"], p["end"], p["co"],
            f"Demo officer, {e['entity']}", f"pledges.{slug(e['entity'])[:48].rstrip('-')}@example.org",  # a local part has at most 64 characters
        ])
    print(f"wrote {len(pledges)} pledges to demo/register.csv")


if __name__ == "__main__":
    main()
