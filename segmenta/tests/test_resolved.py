"""The API's addresses are resolved once per process (segmenta/resolved.py): an address
resolves as Django resolves it, again and again, and one that matches nothing stays a 404."""

import pytest
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse

from segmenta.resolved import KeptResolver


def api_resolver():
    return next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and str(p.pattern) == "api/v1/")


def test_the_api_is_resolved_by_a_kept_resolver():
    assert isinstance(api_resolver(), KeptResolver)


@pytest.mark.parametrize("name, args", [("api:patient_case", [7]), ("api:patient_case", [8]), ("api:patient_versions", [7])])
def test_an_address_resolves_as_djangos_resolver_resolves_it(name, args):
    address = reverse(name, args=args)
    kept = api_resolver()
    plain = URLResolver(kept.pattern, kept.urlconf_name, kept.default_kwargs, kept.app_name, kept.namespace)
    for _ in range(2):  # the second from memory
        found, expected = resolve(address), plain.resolve(address[1:])
        assert (found.func, found.args, found.kwargs, found.url_name, found.route) == (
            expected.func, expected.args, expected.kwargs, expected.url_name, "api/v1/" + expected.route)
        assert found.view_name == name and found.kwargs == {"patient_id": args[0]}


def test_a_kept_match_is_not_walked_again():
    kept = api_resolver()
    address = reverse("api:patient_case", args=[123456])[1:]
    kept.resolve(address)
    before = kept._kept.cache_info().hits
    kept.resolve(address)
    assert kept._kept.cache_info().hits == before + 1


@pytest.mark.django_db
def test_an_address_the_api_does_not_have_is_not_found_and_not_kept(client):
    """Anyone may send made-up addresses, before any token is checked: none of them is kept."""
    kept = api_resolver()._kept
    before = kept.cache_info().currsize
    for number in range(3):
        assert resolve(f"/api/v1/no-such-thing-{number}").url_name == "no_such_address"
        assert client.get(f"/api/v1/no-such-thing-{number}").status_code == 404
    assert kept.cache_info().currsize == before
    with pytest.raises(Resolver404):  # outside the API, as before
        resolve("/no-such-page/")


def test_each_request_gets_a_match_of_its_own():
    address = reverse("api:patient_case", args=[654321])
    first = resolve(address)
    first.kwargs["patient_id"] = 1
    first.captured_kwargs["patient_id"] = 1
    again = resolve(address)
    assert again.kwargs == again.captured_kwargs == {"patient_id": 654321}
