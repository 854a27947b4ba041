# One command runs everything: `make test` (see README.md).
.PHONY: test bootstrap check units gates sanity lint changelog integration molecule

test: bootstrap check

bootstrap:
	scripts/bootstrap.sh

check:
	scripts/run_checks.sh

units gates sanity lint changelog integration molecule:
	scripts/run_checks.sh $@
