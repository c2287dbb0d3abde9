"""What links to what in the knowledge base: the Learn pages' cross-references.

Pure Python over a KnowledgeBase.
"""


def segment_links(kb, segment):
    """Organs (by map), Head zones, ganglia, techniques and body areas of one segment."""
    organs = []
    head_zones = []
    for organ in kb.all("organ"):
        for organ_map in organ["maps"]:
            roles = [role for role in ("sympathetic", "parasympathetic") if segment in organ_map[role]]
            if roles:
                organs.append({"organ": organ, "map": organ_map["id"], "roles": roles,
                               "default": organ_map["id"] == organ["default"], "evidence": organ_map["evidence"]})
            if segment in organ_map["head_zone"]:
                head_zones.append({"organ": organ, "map": organ_map["id"],
                                   "area": organ_map.get("head_zone_area", "")})
    return {
        "organs": organs,
        "head_zones": head_zones,
        "ganglia": [g for g in kb.all("ganglion") if segment in g["segments"]],
        "techniques": [t for t in kb.all("technique") if t["approach"] == "segmental"],
        "regions": [r for r in kb.all("region") if segment in r["dermatomes"]],
        "choir_segments": [c for c in kb.all("choir-segment") if segment in c["dermatomes"]],
    }


def cited(kb, source_ids):
    """The sources behind a list of ids, in order; a promotional text says so."""
    found = []
    for source_id in source_ids:
        source = kb.source(source_id) or {"id": source_id, "name": source_id, "type": ""}
        found.append({**source, "promotional": source.get("type") == "promotional"})
    return found


def indication_evidence(kb, entry):
    """An entry's per-indication claims, each with its sources and studies resolved."""
    return [{**claim, "cited": cited(kb, claim["sources"]),
             "study_entries": [kb.get("study", s) for s in claim.get("studies", []) if kb.get("study", s)]}
            for claim in entry.get("indication_evidence", [])]


def organ_maps(kb, organ):
    """An organ's maps, the default first, each with its sources resolved."""
    maps = sorted(organ["maps"], key=lambda m: m["id"] != organ["default"])
    return [{**m, "default": m["id"] == organ["default"], "cited": cited(kb, m["sources"]),
             "facts": [(k, v) for k, v in m.items() if k not in ("id", "sources", "evidence")]} for m in maps]


def settable(entry):
    """The values a clinic may set for this entry: [(key, value)] named by ``clinic_settable``."""
    values = entry.get("criteria", entry)
    return [(key, values.get(key)) for key in entry.get("clinic_settable", [])]
