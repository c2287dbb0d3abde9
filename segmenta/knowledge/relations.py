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


def search(kb, query, limit=100):
    """Entries whose id, name or text contains every word of ``query``."""
    words = [w.lower() for w in query.split() if w][:8]
    if not words:
        return []
    found = []
    for kind, entries in kb.entries.items():
        for entry in entries.values():
            text = repr(entry).lower()
            if all(w in text for w in words):
                found.append((kind, entry))
                if len(found) >= limit:
                    return found
    return found
