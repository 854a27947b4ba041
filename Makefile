# One command runs everything: `make test` (see README.md).
.PHONY: test check-network bootstrap check units gates sanity lint changelog integration molecule docs distribution

test: bootstrap check

# Probe the real service URLs from this machine: make check-network REGION=eu PROXY=10.0.0.6:8080
# Extra arguments in ARGS, for example: make check-network ARGS="-v -e strict=true"
check-network: bootstrap
	scripts/check_network.sh $(ARGS)

# Render the fleet reports from the example data (no Windows needed): make report-example DEST=/tmp/reports
# (playbooks/report_example.yml on examples/reports/, as `ansible-playbook purview.device_proxy.report_example
# -e dest=...` does from an installed collection; tools/build/report_example.py rewrites that data).
.PHONY: report-example
report-example:
	ANSIBLE_COLLECTIONS_PATH="$$(python3 tools/collection_link.py)" .venv/bin/ansible-playbook playbooks/report_example.yml \
	    -e dest="$(if $(DEST),$(abspath $(DEST)),$(CURDIR)/.build/report-example)"

bootstrap:
	scripts/bootstrap.sh

check:
	scripts/run_checks.sh

units gates sanity lint changelog integration molecule docs distribution:
	scripts/run_checks.sh $@

# Compare saved copies of Microsoft's pages with the catalog's source data (diff only):
#   make catalog-refresh PAGES="pages/standard-device-connectivity-urls-commercial.md ..."
# WRITE=1 updates tools/build/catalog/, records the comparison date and rebuilds the catalog.
.PHONY: catalog-refresh
catalog-refresh:
	.venv/bin/python tools/build/refresh_catalog.py $(PAGES) $(if $(WRITE),--write)
