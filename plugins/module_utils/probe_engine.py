# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent service-URL probes and their classification: the public names in one import.

A probe sends one HTTP request to one URL over one *route*: directly, through a named proxy,
through the proxy the environment names (``https_proxy``/``http_proxy``/``no_proxy``) or through
the proxy a PAC file chooses. What happened on the wire is recorded as an ``Observation`` (raw
facts, no judgement); ``classify`` turns it into one category. The classification, the
per-requirement summary and the verdict are pure functions.

The work lives in one module per job; this one only gathers their public names:

* ``probe_model``: categories, routes, failure kinds and the records passed between the others;
* ``probe_targets``: URLs to probe targets; ``probe_routes``: proxy URLs and the environment;
  ``probe_pac``: PAC files;
* ``probe_client``: the socket/TLS client; ``probe_certs``: reading certificates;
* ``probe_classify``: observation to category; ``probe_runner``: the threaded runner;
* ``probe_report``: requirement summary, verdict, analyzer text and table.
"""

from __future__ import annotations

# This module only gathers names for its importers.
# pylint: disable=unused-import

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import (  # noqa: F401
    REACHABLE, BLOCKED, PROXY_AUTH_REQUIRED, TLS_INTERCEPTED, TLS_ERROR, DNS_FAILURE, CONNECTION_REFUSED,
    NETWORK_UNREACHABLE, TIMEOUT, PROXY_ERROR, NOT_RUN, ERROR, CATEGORIES, DIRECT, NAMED, ENVIRONMENT, PAC, ROUTES, ROUTE_METHOD, ProbeConfigError,
    MissingLibraryError, ProbeTarget, Credentials, Hop, TlsPolicy, AT_PROXY, AT_ORIGIN, F_DNS, F_REFUSED,
    F_UNREACHABLE, F_TIMEOUT, F_RESET, F_TLS_VERIFY, F_TLS, F_PROTOCOL, F_NOT_RUN, F_OTHER, Observation,
    ProbeResult,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_targets import (  # noqa: F401
    make_target, make_targets,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_routes import (  # noqa: F401
    split_proxy_url, proxy_url_secrets, url_secrets, redact_url, no_proxy_matches, environment_hop, environment_configured,
    validate_environment,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_pac import (  # noqa: F401
    MAX_PAC_BYTES, DEFAULT_PAC_LIMIT, parse_pac_result, PacResolver, load_pac,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_certs import (  # noqa: F401
    IDENTITY_MATCHED, IDENTITY_MISMATCH, IDENTITY_UNCHECKED, format_name, issuer_from_peercert, issuer_from_der,
    issuer_rdns_from_peercert, normalise_fingerprint, split_expectations, verified_chain_fingerprints, identity,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_classify import (  # noqa: F401
    UNTRUSTED_CHAIN_CODES, parse_proxy_error, identity_of, classify,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_client import (  # noqa: F401
    USER_AGENT, MAX_HEAD_BYTES, check_trust_store, perform_probe,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_runner import (  # noqa: F401
    ABANDON_GRACE, TIMEOUT_MAX, DEADLINE_MAX, CONCURRENCY_MAX, check_settings, Job, run_jobs, plan_jobs,
)

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_report import (  # noqa: F401
    MET, NOT_MET, UNKNOWN, summarise, count_by_route, verdict, analyzer_blocks, render_analyzer_text,
    render_table,
)
