"""A URL resolver that remembers what each address resolved to.

Why: Django tries an address against each pattern of a resolver in turn, and django-ninja
gives the API one pattern per path, about a hundred under /api/v1/. The case export's
address comes some sixty patterns in: resolving it took 28 µs, and 7 µs once kept (what
is left is Django building the request's match), of a 0.6 ms read. What an address
resolves to depends only on the address and on the patterns, fixed while the process runs
(no pattern under the API depends on the language), so an address once resolved is read
from memory after, up to KEPT addresses, the least recently used going first.

Only what a view of the API answers is kept: the API's catch-all, which answers 404 to any
other address and is reached before any token is checked, is resolved afresh each time, so
nobody can fill the memory with made-up addresses. Outside the API nothing changes.
"""

from functools import lru_cache

from django.urls import ResolverMatch, URLResolver

# Addresses kept per resolver and process: the few API addresses of each of a thousand charts
# (about 1 KB each).
KEPT = 4096


class KeptResolver(URLResolver):
    """``URLResolver``, keeping each match of ``resolve()`` but those of the url names in
    ``not_kept``. Each call hands out a copy of the match kept, its captured values its own."""

    def __init__(self, *args, not_kept=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.not_kept = frozenset(not_kept)
        self._kept = lru_cache(maxsize=KEPT)(self._slim)

    @classmethod
    def of(cls, resolver, not_kept=()):
        """A KeptResolver for what ``path(route, include(…))`` returned."""
        return cls(resolver.pattern, resolver.urlconf_name, resolver.default_kwargs, resolver.app_name,
                   resolver.namespace, not_kept=not_kept)

    def _slim(self, path):
        """The match as kept: without the list of patterns tried on the way (Django keeps it
        for the 404 page; a match that was found needs none), a few kilobytes an address."""
        match = super().resolve(path)
        if match.url_name in self.not_kept:
            raise _NotKept(match)
        return _match(match)

    def resolve(self, path):
        try:
            kept = self._kept(path)
        except _NotKept as passed:  # (an exception: lru_cache keeps nothing for it)
            return passed.match
        return _match(kept)


def _match(match):
    """A new match like ``match`` (a ResolverMatch cannot be copied), its values its own and
    without the patterns tried."""
    return ResolverMatch(match.func, tuple(match.args), dict(match.kwargs), match.url_name, list(match.app_names),
                         list(match.namespaces), match.route, [], captured_kwargs=dict(match.captured_kwargs),
                         extra_kwargs=dict(match.extra_kwargs))


class _NotKept(Exception):
    def __init__(self, match):
        super().__init__()
        self.match = match
