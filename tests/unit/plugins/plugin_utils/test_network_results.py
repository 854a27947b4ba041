# -*- coding: utf-8 -*-
"""network_url_probe results into the fleet model (network_results + fleet_report).

The network-side results here are made by the real module (network_url_probe.main) with the
wire replaced by a fake ``perform_probe`` (as tests/unit/plugins/modules/test_network_url_probe.py
does), so they carry exactly the keys its RETURN documents; the adversarial ones are edited copies.
The device-side wording they are compared with is connectivity_verdict.classify_probe's, for raw
device probes shaped as device_connectivity_probe returns them.
"""

from __future__ import annotations

import copy
import os
from xml.etree import ElementTree

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as engine
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
from ansible_collections.purview.device_proxy.plugins.modules import network_url_probe
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import network_results as nr
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module

C2 = "https://winatp-gw-cus.microsoft.com/test"
BLOB = "https://ussus1eastprod.blob.core.windows.net"
PROXY = "10.0.0.6:8080"
_MISSING_VALUE = object()
MS_ISSUER = (("O", "Microsoft Corporation"), ("CN", "Microsoft Azure RSA TLS Issuing CA 03"))


def no_catalog(url):
    return {}


def catalog(url):
    return {C2: {"channel": "command-and-control", "required": True},
            BLOB: {"channel": "sample-submission-storage", "required": False}}.get(url, {})


@pytest.fixture
def probe(monkeypatch, capsys):
    """probe(args, answer) -> the module's JSON result; answer(target, hop) -> Observation."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)

    def run(args, answer):
        monkeypatch.setattr(engine, "perform_probe", lambda target, hop, policy, timeout: answer(target, hop))
        result = run_module(network_url_probe.main, args, capsys)
        del result["_rc"]
        return result

    return run


def ok(status=200):
    return engine.Observation(status=status, issuer="O=Microsoft Corporation", issuer_names=MS_ISSUER)


def proxy_says(status):
    return engine.Observation(proxy_status=status, at=engine.AT_PROXY, via_proxy=True)


def convert(result, lookup=no_catalog, host="net-01"):
    return nr.host_result(host, result, lookup)


def probes_of(url_result):
    return {p["method"]: p for p in url_result["probes"]}


# --- the mapping onto the analyzer's methods ----------------------------------------------------
def test_routes_map_onto_the_method_keys_of_the_model_and_method_5_has_no_route():
    # The mapping is probe_model.ROUTE_METHOD (the one the module's own report uses), by key.
    assert nr.ROUTE_METHODS == {"environment": "default", "pac": "wpad", "direct": "disabled", "named": "named"}
    assert set(nr.ROUTE_METHODS.values()) <= set(analyzer_model.METHOD_KEYS)
    assert "command_line" not in nr.ROUTE_METHODS.values()


def test_direct_200_passes_and_every_method_without_a_route_is_not_requested(probe):
    result = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: ok())
    converted = convert(result)
    url = converted["urls"][0]
    assert url["strict"] == cv.PASS and url["analyzer"] == cv.PASS
    assert url["configured_method"] == "disabled"
    assert url["tokens"] == ["N", "N", "S200", "N", "N"]
    methods = probes_of(url)
    for key in ("default", "wpad", "named", "command_line"):
        assert methods[key]["outcome"] == cv.SKIPPED and methods[key]["reason"] == fk.NOT_REQUESTED
    assert methods["disabled"]["proxy_used"] == "direct"
    assert converted["configured"] == {"method": "disabled", "proxy": None, "route": "direct", "fallbacks": []}
    assert converted["summary"]["strict_failed"] == [] and converted["summary"]["analyzer_failed"] == []
    assert converted["source"]["kind"] == nr.SOURCE_KIND


def test_a_route_asked_for_but_not_configured_does_not_exist_with_the_modules_reason(probe):
    result = probe({"urls": [C2], "routes": ["direct", "named"]}, lambda target, hop: ok())
    assert result["skipped_routes"] == {"named": "no proxy is given"}
    named = probes_of(convert(result)["urls"][0])["named"]
    assert named["outcome"] == cv.ABSENT and named["reason"] == fk.NOT_CONFIGURED
    assert named["detail"] == "no proxy is given"


def test_403_from_the_proxy_fails_the_judged_named_route_even_when_direct_answers(probe):
    def answer(target, hop):
        return ok() if hop.proxy is None else proxy_says(403)
    result = probe({"urls": [C2], "routes": ["direct", "named"], "proxy": PROXY}, answer)
    converted = convert(result)
    url = converted["urls"][0]
    # The named route is what the devices use: it is judged; direct is the analyzer's "any method".
    assert url["configured_method"] == "named"
    assert url["strict"] == cv.FAIL and url["analyzer"] == cv.PASS
    assert url["tokens"] == ["N", "N", "S200", "F403", "N"]
    assert converted["summary"]["strict_failed"] == [C2]
    assert converted["configured"]["proxy"] == PROXY and converted["configured"]["fallbacks"] == ["disabled"]
    assert url["diagnosis"].startswith("4 - Named proxy (the named route, judged) failed: ")
    assert fk.DESCRIPTIONS[fk.BLOCKED] in url["diagnosis"]
    assert "3 - Proxy disabled succeeded" in url["diagnosis"]


def _device(raw, url=C2):
    return cv.classify_probe(dict(raw, url=url), cv.ANALYZER_ACCEPTED, {"url": url})


@pytest.mark.parametrize("status,kind", [(403, fk.BLOCKED), (407, fk.PROXY_AUTH_REQUIRED)])
def test_proxy_answers_read_as_on_the_device_side(probe, status, kind):
    """The same failure, the same word, code and token as device_connectivity_probe's verdict."""
    result = probe({"urls": [C2], "routes": ["named"], "proxy": PROXY}, lambda target, hop: proxy_says(status))
    network = probes_of(convert(result)["urls"][0])["named"]
    # The device's raw probe of a CONNECT refused by the proxy: a status and no server certificate.
    device = _device({"method": "named", "status_code": status, "server_chain": None, "proxy": PROXY,
                      "proxy_used": PROXY})
    for key in ("outcome", "reason", "line_code", "status_code", "answered_by", "proxy_used"):
        assert network[key] == device[key], key
    assert cv.method_token(network) == cv.method_token(device)
    assert cv.analyzer_outcome(network) == cv.analyzer_outcome(device)
    assert fk.DESCRIPTIONS[kind] in network["detail"]


def test_tls_interception_is_the_devices_token_and_names_the_issuer(probe):
    def answer(target, hop):
        return engine.Observation(failure=engine.F_TLS_VERIFY, issuer="O=Contoso, CN=Contoso Inspection CA",
                                  verify_code=20)
    result = probe({"urls": [C2], "routes": ["direct"]}, answer)
    assert result["results"][0]["category"] == fk.TLS_INTERCEPTED
    url = convert(result)["urls"][0]
    method = probes_of(url)["disabled"]
    assert method["reason"] == fk.TLS_INTERCEPTED
    assert url["tokens"][2] == "Ftls-intercepted"  # cv.method_token's spelling for the device's chain check
    assert method["line_code"] == "tls_intercepted, issuer O=Contoso, CN=Contoso Inspection CA"
    assert fk.DESCRIPTIONS[fk.TLS_INTERCEPTED] in url["diagnosis"]


@pytest.mark.parametrize("failure,kind", [(engine.F_DNS, fk.DNS_FAILURE), (engine.F_TIMEOUT, fk.TIMEOUT),
                                          (engine.F_REFUSED, fk.CONNECTION_REFUSED)])
def test_transport_failures_keep_their_kind_and_a_token_the_fleet_schema_accepts(probe, failure, kind):
    result = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: engine.Observation(failure=failure))
    url = convert(result)["urls"][0]
    method = probes_of(url)["disabled"]
    assert method["outcome"] == cv.FAILED and method["reason"] == kind
    assert url["tokens"][2] == "F" + kind.replace("_", "-")
    assert cv.analyzer_outcome(method).code == kind      # "Failed (dns_failure)", as the module's own report
    assert fk.DESCRIPTIONS[kind] in method["detail"]
    assert url["strict"] == cv.FAIL and url["analyzer"] == cv.FAIL


def test_not_run_is_the_devices_deadline_and_leaves_the_url_untested(probe):
    result = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: engine.Observation(failure=engine.F_NOT_RUN))
    assert result["results"][0]["category"] == fk.NOT_RUN
    converted = convert(result)
    url = converted["urls"][0]
    method = probes_of(url)["disabled"]
    device = cv.classify_probe({"method": "disabled", "attempted": False, "skip_reason": "deadline"})
    for key in ("outcome", "reason", "line_code", "detail"):
        assert method[key] == device[key], key
    assert url["strict"] == cv.UNTESTED and url["tokens"][2] == "N"
    assert converted["raw"]["run"]["deadline_reached"] is True


def test_a_service_answer_outside_the_analyzer_codes_is_not_a_success(probe):
    # Directly, a 302 is the service's answer: reachable for the module, but not 200, 400 or 404.
    result = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: ok(302))
    assert result["results"][0]["category"] == fk.REACHABLE
    url = convert(result)["urls"][0]
    method = probes_of(url)["disabled"]
    assert method["outcome"] == cv.FAILED and method["reason"] == fk.UNEXPECTED_STATUS
    assert url["strict"] == cv.FAIL and url["analyzer"] == cv.FAIL


def test_expected_400_passes_strictly_and_catalog_gives_channel_and_required(probe):
    result = probe({"urls": [{"url": BLOB, "expected_status": [400], "no_pinning": True}], "routes": ["direct"]},
                   lambda target, hop: ok(400))
    url = convert(result, catalog)["urls"][0]
    assert url["strict"] == cv.PASS and url["tokens"][2] == "S400"
    assert url["channel"] == "autoir-sample-storage" and url["required"] is False
    unexpected = copy.deepcopy(result)
    unexpected["results"][0]["status_expected"] = None   # no expected codes given: 400 is not 200
    assert convert(unexpected, catalog)["urls"][0]["strict"] == cv.FAIL


def test_the_most_specific_proxy_route_that_ran_is_judged(probe):
    result = probe({"urls": [C2], "routes": ["direct", "pac"], "pac_file": None}, lambda target, hop: ok())
    assert convert(result)["configured"]["route"] == "direct"  # pac skipped: nothing else ran
    both = copy.deepcopy(result)
    env = dict(both["results"][0], route="environment", proxy="127.0.0.1:3128")
    both["results"].append(env)
    assert convert(both)["configured"] == {"method": "default", "proxy": "127.0.0.1:3128", "route": "environment",
                                           "fallbacks": ["disabled"]}


def test_fleet_model_of_converted_hosts_follows_the_schema_and_the_text_says_where_it_came_from(probe):
    def answer(target, hop):
        return ok() if hop.proxy is None else proxy_says(407)
    passing = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: ok())
    failing = probe({"urls": [C2, BLOB], "routes": ["direct", "named"], "proxy": PROXY}, answer)
    results = nr.prepare({"net-ok": passing, "net-407": failing, "net-down": None}, "network", catalog)
    fleet = fleet_report.build_fleet(results, "2026-07-03T09:00:00Z")
    jsonschema.validate(fleet, fleet_schema.FLEET_SCHEMA)
    verdicts = {h["host"]: h["verdict"] for h in fleet["hosts"]}
    assert verdicts == {"net-ok": "pass", "net-407": "fail", "net-down": "no-result"}
    failed = next(h for h in fleet["hosts"] if h["host"] == "net-407")
    assert failed["configured"] == {"method": "named", "proxy": PROXY}
    assert [f["methods"][3] for f in failed["failures"]] == [{"ok": False, "code": "407", "proxy": PROXY}] * 2
    text = fleet_report.render_files(results, fleet, ["text"])["hosts/net-407.txt"]
    assert "4 - Named proxy (%s): Failed (407)" % PROXY in text
    assert "3 - Proxy disabled (direct): Succeeded (200)" in text
    assert "Source: network_url_probe" in text and "judges the named route" in text


# --- results that are not a network_url_probe task result ---------------------------------------
def test_a_failed_task_without_probes_is_a_host_without_result(probe):
    failed = {"failed": True, "msg": "ca_path: /nope does not exist", "field": "ca_path", "rule": "exists"}
    converted = convert(failed)
    assert converted == {"failed": True, "msg": "network_url_probe failed: ca_path: /nope does not exist"}
    fleet = fleet_report.build_fleet({"net-01": converted}, "2026-07-03T09:00:00Z")
    assert fleet["hosts"][0]["status"] == fleet_report.NO_RESULT
    assert "ca_path" in fleet["hosts"][0]["error"]
    assert convert({"unreachable": True, "msg": "ssh: timed out"})["msg"].endswith("ssh: timed out")
    skipped = convert({"changed": False, "skipped": True, "skip_reason": "Conditional result was False"})
    assert skipped["failed"] is True and "skipped" in skipped["msg"]


def test_a_task_failed_by_require_still_reports_its_probes(probe):
    result = probe({"urls": [C2], "routes": ["named"], "proxy": PROXY, "require": ["anonymous"]},
                   lambda target, hop: proxy_says(407))
    assert result["failed"] is True and result["results"]
    converted = convert(result)
    assert converted["urls"][0]["strict"] == cv.FAIL


def test_no_probe_at_all_is_never_a_pass(probe):
    result = probe({"urls": [C2], "routes": ["named"]}, lambda target, hop: ok())
    assert result["results"] == []
    converted = convert(result)
    assert converted["failed"] is True and "no probe ran" in converted["msg"] and "no proxy is given" in converted["msg"]


@pytest.mark.parametrize("edit,field", [
    (lambda r: r.pop("results"), "results[net-01].results"),
    (lambda r: r.update(results={"url": C2}), "results[net-01].results"),
    (lambda r: r["results"].__setitem__(0, "https://x.example/"), "results[net-01].results[0]"),
    (lambda r: r["results"][0].pop("url"), "results[net-01].results[0].url"),
    (lambda r: r["results"][0].update(url=""), "results[net-01].results[0].url"),
    # A line break would forge a method line in the per-host text.
    (lambda r: r["results"][0].update(url=C2 + "\n3 - Proxy disabled: Succeeded (200)"),
     "results[net-01].results[0].url"),
    (lambda r: r["results"][0].update(proxy="p:1): Succeeded (200)\n4 - Named proxy (p:1"),
     "results[net-01].results[0].proxy"),
    (lambda r: r["results"][0].update(route="socks"), "results[net-01].results[0].route"),
    (lambda r: r["results"][0].update(route=["direct"]), "results[net-01].results[0].route"),
    (lambda r: r["results"][0].update(category="ok"), "results[net-01].results[0].category"),
    (lambda r: r["results"][0].update(category=fk.WPAD_FAILED), "results[net-01].results[0].category"),
    (lambda r: r["results"][0].update(status="200"), "results[net-01].results[0].status"),
    (lambda r: r["results"][0].update(status=True), "results[net-01].results[0].status"),
    (lambda r: r["results"][0].update(status=None), "results[net-01].results[0].status"),
    (lambda r: r["results"][0].update(proxy_status=99999), "results[net-01].results[0].proxy_status"),
    (lambda r: r["results"][0].update(proxy=3128), "results[net-01].results[0].proxy"),
    (lambda r: r["results"][0].update(reachable=False), "results[net-01].results[0].reachable"),
    (lambda r: r["results"][0].update(elapsed="fast"), "results[net-01].results[0].elapsed"),
    (lambda r: r["results"][0].update(elapsed=float("nan")), "results[net-01].results[0].elapsed"),
    (lambda r: r["results"][0].update(elapsed=-1), "results[net-01].results[0].elapsed"),
    # found by the property test below: a time beyond any probe's (and, times 1000, beyond a float)
    (lambda r: r["results"][0].update(elapsed=1.797693134862316e+305), "results[net-01].results[0].elapsed"),
    (lambda r: r["results"][0].update(failed_at="origin"), "results[net-01].results[0].failed_at"),
    (lambda r: r["results"][0].update(status_expected="yes"), "results[net-01].results[0].status_expected"),
    (lambda r: r["results"][0].update(channel=7), "results[net-01].results[0].channel"),
    (lambda r: r["results"].append(dict(r["results"][0])), "results[net-01].results[1]"),
    (lambda r: r.update(skipped_routes=["pac"]), "results[net-01].skipped_routes"),
    (lambda r: r.update(skipped_routes={"socks": "no"}), "results[net-01].skipped_routes"),
])
def test_malformed_results_are_refused_naming_the_host_and_field(probe, edit, field):
    result = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: ok())
    edit(result)
    with pytest.raises(nr.NetworkResultError) as info:
        convert(result)
    assert info.value.field == field
    assert info.value.rule == "result-shape"
    assert "network_url_probe" in str(info.value)


def test_unknown_and_mixed_shapes_are_input_errors_naming_the_host(probe):
    network = probe({"urls": [C2], "routes": ["direct"]}, lambda target, hop: ok())
    device = {"changed": False, "urls": [], "summary": {}, "configured": {"method": "default"}}
    with pytest.raises(nr.NetworkResultError) as info:
        nr.prepare({"net-01": network, "win10-01": device}, "network", no_catalog)
    assert info.value.field == "results[win10-01].urls"
    assert "device_connectivity_probe" in info.value.message and "source" in info.value.message
    with pytest.raises(nr.NetworkResultError) as info:
        nr.prepare({"win10-01": device, "net-01": network}, "device", no_catalog)
    assert info.value.field == "results[net-01].results"
    assert "source: network" in info.value.message
    with pytest.raises(nr.NetworkResultError) as info:
        nr.prepare({"net-01": "reachable"}, "network", no_catalog)
    assert info.value.field == "results[net-01]"
    looped = {"changed": False, "results": [dict(network, item=C2, ansible_loop_var="item")]}
    with pytest.raises(nr.NetworkResultError) as info:
        nr.prepare({"net-01": looped}, "network", no_catalog)
    assert info.value.field == "results[net-01].results[0]" and "loop" in info.value.message
    with pytest.raises(nr.NetworkResultError) as info:
        nr.prepare({"net-01": network}, "windows", no_catalog)
    assert info.value.field == "source"


def test_device_results_pass_through_unchanged_with_source_device():
    device = {"changed": False, "urls": [], "summary": {}, "configured": {"method": "default"}}
    looped_device = {"changed": False, "results": [{"item": 1, "ansible_loop_var": "item", "urls": []}]}
    results = {"win10-01": device, "win10-02": None, "win10-03": looped_device}
    assert nr.prepare(results, "device") == results


# --- property: a converted result reports, anything else is refused by host and field -------------
def _recorded(url, route, category, status=None, proxy_status=None, proxy=None, at=engine.AT_ORIGIN, issuer=None):
    target = engine.make_target(url)
    hop = engine.Hop(route, None if proxy is None else parse_endpoint(proxy, field="proxy", allow_scheme=True))
    observation = engine.Observation(status=status, proxy_status=proxy_status, at=at, issuer=issuer,
                                     via_proxy=proxy is not None, elapsed=0.25)
    return engine.ProbeResult(target, hop, observation, category, "recorded").as_dict()


BASE = {"changed": False, "skipped_routes": {"pac": "neither pac_url nor pac_file is given"}, "results": [
    _recorded(C2, "direct", fk.REACHABLE, 200),
    _recorded(BLOB, "direct", fk.TIMEOUT),
    _recorded(C2, "named", fk.BLOCKED, proxy_status=403, proxy=PROXY, at=engine.AT_PROXY),
    _recorded(BLOB, "named", fk.TLS_INTERCEPTED, proxy=PROXY, issuer="O=Inspect (CA)\n"),
    _recorded(C2, "environment", fk.NOT_RUN, proxy="127.0.0.1:3128"),
]}
_text = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=10)
# Text that would break a report line (a forged method line, parentheses, escapes): half the values.
_hostile = st.sampled_from([C2 + "\n1 - Default proxy: Succeeded (200)", "p:1) x (", "\x1b[2J", "a\u2028b"])
_values = st.one_of(_hostile, st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2 ** 40), st.floats(allow_nan=True), _text,
    st.sampled_from(list(engine.ROUTES) + list(fk.ALL) + ["proxy", "service", C2, PROXY]),
    st.lists(st.just("direct"), max_size=2), st.dictionaries(_text, _text, max_size=2)))
# The fields the conversion reads (the others are carried along unread), and one it does not know.
_KEYS = ["url", "route", "category", "status", "proxy_status", "proxy", "reachable", "status_expected", "issuer",
         "failed_at", "detail", "elapsed", "channel", "extra"]


@settings(max_examples=300 if not os.environ.get("CI") else 2000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.integers(0, len(BASE["results"]) - 1), st.sampled_from(_KEYS),
                                st.one_of(st.just(_MISSING_VALUE), _values)), min_size=1, max_size=6),
       top=st.one_of(st.none(), st.tuples(st.sampled_from(["results", "skipped_routes", "urls", "failed"]), _values)))
def test_any_result_either_reports_or_is_refused_naming_the_host(edits, top):
    result = copy.deepcopy(BASE)
    for index, key, value in edits:
        if value is _MISSING_VALUE:
            result["results"][index].pop(key, None)
        else:
            result["results"][index][key] = value
    if top is not None:
        result[top[0]] = top[1]
    try:
        results = nr.prepare({"net-01": result, "net-02": copy.deepcopy(BASE)}, "network", catalog)
    except nr.NetworkResultError as err:
        assert err.field == "source" or err.field.startswith("results[net-01]"), err.field
        return
    fleet = fleet_report.build_fleet(results, "2026-07-03T09:00:00Z")
    jsonschema.validate(fleet, fleet_schema.FLEET_SCHEMA)
    files = fleet_report.render_files(results, fleet, fleet_report.FORMATS)
    for name, content in files.items():
        if name.startswith("hosts/"):
            # Every method line is one of the five, in order, whatever the result carried.
            lines = [line for line in content.splitlines() if line[:1].isdigit()]
            assert all(line[0] in "12345" and line[1:4] == " - " for line in lines), content
    ElementTree.fromstring(files["connectivity-junit.xml"].encode("utf-8"))
