#!/usr/bin/env bash
# Set up, build the warehouse from the bundled sample corpus, and print launches per site per year.
# Warehouse: $CURRENTS_WAREHOUSE if set, else ~/.local/share/currents/warehouse.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PREFECT_SERVER_ANALYTICS_ENABLED=false
.venv/bin/currents run "$@"
.venv/bin/currents query "select * from launches_per_site_per_year order by year, site"
