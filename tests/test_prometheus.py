"""The Prometheus text of a status: every metric the alerts need, values in full, labels escaped."""

from kiosk.core.prometheus import prometheus_text

from .test_status import STATUS


def test_prometheus_text_has_the_required_metrics():
    text = prometheus_text(STATUS)
    for line in (
        'kiosk_up{box="plaza-1"} 1',
        'kiosk_slides_shown_total{kind="answer"} 9',
        'kiosk_content_files{kind="contribute"} 8',
        "kiosk_last_sync_success_timestamp_seconds 1797000000",  # whole: `:g` used to cut it to 1.797e+09
        "kiosk_sync_failures_total 2",
        'kiosk_frame_seconds{quantile="0.99"} 0.02',
        "kiosk_frame_seconds_count 120",
        "kiosk_unusable_files 1",
    ):
        assert line in text.splitlines(), line
    assert "# TYPE kiosk_frame_seconds summary" in text


def test_label_values_are_escaped():
    assert 'box="a\\"b"' in prometheus_text({**STATUS, "box": 'a"b'})


def test_video_frames_are_counted_by_outcome():
    lines = prometheus_text({**STATUS, "video_frames": {"shown": 900, "late": 3, "skipped": 12}}).splitlines()
    assert 'kiosk_video_frames_total{outcome="shown"} 900' in lines
    assert 'kiosk_video_frames_total{outcome="late"} 3' in lines
    assert 'kiosk_video_frames_total{outcome="skipped"} 12' in lines
    assert 'kiosk_video_frames_total{outcome="shown"} 0' in prometheus_text(STATUS).splitlines()  # no video yet

def test_a_refused_fleet_file_is_a_metric():
    assert "kiosk_fleet_refused 0" in prometheus_text(STATUS).splitlines()
    refused = {**STATUS, "fleet": {"version": "abc", "refused": ["fleet.yaml:2: ..."]}}
    assert "kiosk_fleet_refused 1" in prometheus_text(refused).splitlines()


def test_trust_is_a_metric_with_the_serial_and_expiry_of_the_accepted_manifest():
    lines = prometheus_text(STATUS).splitlines()
    assert "kiosk_trust_refused 0" in lines and "kiosk_trust_pinned 0" in lines
    assert not any(line.startswith("kiosk_manifest_serial") for line in lines)
    trust = {"pinned": True, "state": "refused", "version": 1796411511826, "expires": "2026-12-11T19:11:51Z",
             "refused": "rollback: ...", "refused_at": "2026-12-04T19:20:00+00:00"}
    lines = prometheus_text({**STATUS, "trust": trust}).splitlines()
    assert "kiosk_trust_refused 1" in lines and "kiosk_trust_pinned 1" in lines
    assert "kiosk_manifest_serial 1796411511826" in lines
    assert "kiosk_manifest_expires_timestamp_seconds 1797016311" in lines
    for junk in (None, [], "x", {"version": "12", "expires": "not a time"}, {"expires": "2026-12-11T19:11:51"}):
        text = prometheus_text({**STATUS, "trust": junk})
        assert "kiosk_trust_refused 0" in text and "kiosk_manifest_expires" not in text
