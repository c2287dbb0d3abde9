"""WhiteNoise's compressed manifest storage (production's static files), each file's address
worked out once per process.

Why: every page asks ``{% static %}`` for the same half-dozen addresses, and each answer
(the manifest's hashed name, quoted and joined to STATIC_URL) cost about 11 µs, as much on a
chart page as one of its queries. The manifest is read once, when the storage is made, so an
address cannot change while the process runs; a name the manifest lacks still raises every
time (nothing is kept for it).
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Far more than the files there are; past it, all are dropped and worked out again.
KEPT = 4_000


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses = {}

    def url(self, name, force=False):
        if force:  # (collectstatic's own use)
            return super().url(name, force=True)
        found = self._addresses.get(name)
        if found is None:
            found = super().url(name)
            if len(self._addresses) >= KEPT:
                self._addresses.clear()
            self._addresses[name] = found
        return found
