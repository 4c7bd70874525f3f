"""How long a box takes to judge a signed manifest of 20,000 files, before it applies it.

    .venv/bin/python bench/verify.py [--files 20000] [--repeat 20]

Makes real Ed25519 keys, a manifest of `--files` entries (paths, sha256,
sizes as publish writes them), signs it as `kiosk publish --key` does, and
times, each `--repeat` times on the same bytes: the whole judgement
(envelope, both signatures, rollback and expiry rules: kiosk.core.trust.judge
with the real verify), the signature check alone, and the manifest's parse
(parse_manifest, which every box ran before signing existed). Reports the
median and the slowest, and writes bench/results/verify.json with the
commit and the machine. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

from record import write_result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.boundary.signing import Signer, new_private_key, public_bytes, sign_key_list, verify
from kiosk.core.manifest import Manifest, ManifestFile, manifest_version, parse_manifest
from kiosk.core.trust import KeyList, judge, key_id, parse_envelope


def timed(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict:
    return {"median_ms": round(1000 * statistics.median(times), 2), "max_ms": round(1000 * max(times), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    now = dt.datetime.now(dt.timezone.utc)
    root, key = new_private_key(), new_private_key()
    key_list = KeyList(1, now + dt.timedelta(days=365), {key_id(public_bytes(key)): public_bytes(key)})
    signer = Signer(key, sign_key_list(root, key_list), key_list)
    files = tuple(ManifestFile(f"answers/day-{n // 1000:02d}/answer-{n:05d}.webp",
                               hashlib.sha256(str(n).encode()).hexdigest(), 150_000 + n) for n in range(args.files))
    manifest = Manifest(manifest_version(files), now.isoformat(timespec="seconds"), files, 1,
                        (now + dt.timedelta(days=7)).isoformat(timespec="seconds"))
    body = (manifest.to_json() + "\n").encode()
    data = signer.envelope(body).to_bytes()
    root_key = public_bytes(root)

    def judged() -> None:
        verdict = judge(data, root_key, verify, None, now, True, 64 * 1024 * 1024)
        assert verdict.accepted, verdict.refused

    envelope = parse_envelope(data, 64 * 1024 * 1024)
    keyid, signature = envelope.manifest.signatures[0]

    result = {
        "files": args.files,
        "manifest_body_bytes": len(body),
        "envelope_bytes": len(data),
        "repeat": args.repeat,
        "judge": summary(timed(judged, args.repeat)),
        "signature_only": summary(timed(lambda: verify(key_list.keys[keyid], signature, envelope.manifest.body),
                                        args.repeat)),
        "parse_manifest": summary(timed(lambda: parse_manifest(body, 1 << 40, 1 << 44), args.repeat)),
    }
    print(json.dumps(result, indent=2))
    write_result(__file__, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
