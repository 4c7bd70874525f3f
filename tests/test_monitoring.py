"""The alert rules shipped in monitoring/: valid, tested with promtool, and about metrics the kiosk writes."""

import re
import shutil
import subprocess

import pytest

from kiosk.core.prometheus import prometheus_text

from .conftest import REPO

RULES = REPO / "monitoring" / "kiosk-alerts.yml"
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                                    reason="promtool is not installed (.ci/run installs Debian's prometheus)")


@needs_promtool
def test_the_rules_are_valid():
    result = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_each_alert_fires_when_it_should_and_only_then():
    result = subprocess.run(["promtool", "test", "rules", "kiosk-alerts.test.yml"], cwd=RULES.parent,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_the_rules_use_is_written_by_the_kiosk():
    status = {
        "box": "b", "running": True, "screen": "on", "slides_shown": {}, "content": {}, "errors": {},
        "sync": {"configured": True}, "frames": {}, "threads": {"sync": {"running": True, "failing": None}},
        "worker_stuck": False, "clock_synchronised": True, "state_problems": [],
        # A pinned box that has accepted a manifest: its serial and expiry are written only once known.
        "trust": {"pinned": True, "state": "accepted", "version": 7, "expires": "2026-12-25T00:00:00Z",
                  "refused": None, "refused_at": None},
    }
    written = {line.split("{")[0].split()[0] for line in prometheus_text(status, 1.0, 1000).splitlines()
               if line and not line.startswith("#")}
    used = set(re.findall(r"\bkiosk_[a-z_]+", RULES.read_text()))
    assert used <= written, used - written


def test_the_grafana_dashboard_queries_only_metrics_the_kiosk_writes():
    import json
    import re

    from kiosk.core.prometheus import prometheus_text

    from .test_status import STATUS

    dashboard = json.loads((REPO / "monitoring" / "grafana-dashboard.json").read_text())
    written = {line.split()[2] for line in prometheus_text(STATUS, 1.0, 1).splitlines() if line.startswith("# TYPE")}
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\bkiosk_[a-z_]+", target["expr"])}
    assert queried and queried <= written, queried - written
    titles = " ".join(panel["title"] for panel in dashboard["panels"]).lower()
    for wanted in ("screens on", "slides shown", "last successful sync", "fade frame", "unusable"):
        assert wanted in titles
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (.ci/run installs it)")
def test_every_dashboard_query_is_valid_promql(tmp_path):
    import json

    dashboard = json.loads((REPO / "monitoring" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = "groups:\n  - name: dashboard\n    rules:\n" + "".join(
        f"      - record: kiosk_dashboard:{index}\n        expr: {json.dumps(expr)}\n"
        for index, expr in enumerate(exprs))
    (tmp_path / "rules.yml").write_text(rules)
    result = subprocess.run(["promtool", "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
