"""`kiosk keys`: makes the root and publish keys, and signs the key list anew to add, revoke or rotate them.

    KEYS_DIR/root.key          the root private key: move it offline after `init` (docs/trust.md)
    KEYS_DIR/root.pub          the root public key: pinned on every box (sync.root_key)
    KEYS_DIR/publish-<id>.key  a publish private key, for `kiosk publish --key`
    KEYS_DIR/keys.json         the key list, signed by the root key; publish puts it in every manifest
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from kiosk.app.common import EXIT_FAILURE, EXIT_OK, log
from kiosk.core.trust import KeyList, TrustError, iso, key_id


def cmd_keys(args: argparse.Namespace) -> int:
    try:
        return _ACTIONS[args.action](args)
    except TrustError as exc:
        log.error("%s", exc)
        return EXIT_FAILURE
    except (OSError, FileExistsError) as exc:
        log.error("%s", exc)
        return EXIT_FAILURE


def _expiry(args: argparse.Namespace) -> dt.datetime:
    if not 0 < args.valid_days <= 3660:
        raise TrustError(f"--valid-days {args.valid_days:g}: expected more than 0 and at most 3660")
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=args.valid_days)).replace(microsecond=0)


def _new_publish_key(folder: Path) -> str:
    from kiosk.boundary.signing import new_private_key, public_bytes, write_private_key

    key = new_private_key()
    raw = public_bytes(key)
    keyid = key_id(raw)
    write_private_key(folder / f"publish-{keyid[:16]}.key", key)
    print(f"publish key {keyid[:16]}: {folder / f'publish-{keyid[:16]}.key'} (mode 600)")
    return keyid


def _write_key_list(folder: Path, root_file: Path, keys: dict[str, bytes], version: int,
                    expires: dt.datetime) -> None:
    from kiosk.boundary.files import write_atomically
    from kiosk.boundary.signing import read_private_key, sign_key_list

    root = read_private_key(root_file)
    key_list = KeyList(version, expires, keys)
    write_atomically(folder / "keys.json", json.dumps(sign_key_list(root, key_list).to_data(), indent=1) + "\n")
    print(f"keys.json version {version}, expires {iso(expires)}, publish keys: "
          + ", ".join(keyid[:16] for keyid in sorted(keys)))


def _current(args: argparse.Namespace) -> tuple[Path, KeyList]:
    from kiosk.boundary.signing import load_public_from_private, read_signed_key_list, verify

    root_file = args.root_key or args.folder / "root.key"
    signed, key_list = read_signed_key_list(args.folder / "keys.json")
    root = load_public_from_private(root_file)
    if not any(keyid == key_id(root) and verify(root, sig, signed.body) for keyid, sig in signed.signatures):
        raise TrustError(f"{args.folder / 'keys.json'} is not signed by the root key {root_file}")
    return root_file, key_list


def _init(args: argparse.Namespace) -> int:
    from kiosk.boundary.signing import new_private_key, public_bytes, write_private_key, write_public_key

    folder: Path = args.folder
    expires = _expiry(args)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for name in ("root.key", "root.pub", "keys.json"):
        if (folder / name).exists():
            raise TrustError(f"{folder / name} exists already: `kiosk keys init` never replaces keys")
    root = new_private_key()
    write_private_key(folder / "root.key", root)
    write_public_key(folder / "root.pub", root)
    print(f"root key {key_id(public_bytes(root))[:16]}: {folder / 'root.key'} (mode 600; keep it offline), "
          f"{folder / 'root.pub'} (pin it on every box as sync.root_key)")
    keyid = _new_publish_key(folder)
    from kiosk.boundary.signing import read_private_key

    publish = read_private_key(folder / f"publish-{keyid[:16]}.key")
    _write_key_list(folder, folder / "root.key", {keyid: public_bytes(publish)}, 1, expires)
    return EXIT_OK


def _publish_keys(folder: Path, keyids: list[str]) -> dict[str, bytes]:
    from kiosk.boundary.signing import public_bytes, read_private_key

    return {keyid: public_bytes(read_private_key(folder / f"publish-{keyid[:16]}.key")) for keyid in keyids}


def _add_publish(args: argparse.Namespace) -> int:
    root_file, current = _current(args)
    expires = _expiry(args)
    keyid = _new_publish_key(args.folder)
    _write_key_list(args.folder, root_file, {**current.keys, **_publish_keys(args.folder, [keyid])},
                    current.version + 1, expires)
    return EXIT_OK


def _revoke(args: argparse.Namespace) -> int:
    root_file, current = _current(args)
    expires = _expiry(args)
    wanted = args.keyid.lower()
    if len(wanted) < 8:
        raise TrustError(f"key id {args.keyid!r}: give at least its first 8 hex digits")
    matches = [keyid for keyid in current.keys if keyid.startswith(wanted)]
    if len(matches) != 1:
        raise TrustError(f"key id {args.keyid!r} names {len(matches)} keys of keys.json version {current.version}: "
                         + ", ".join(keyid[:16] for keyid in sorted(current.keys)))
    keys = {keyid: raw for keyid, raw in current.keys.items() if keyid != matches[0]}
    if not keys:
        raise TrustError("that is the only publish key: `kiosk keys rotate` replaces it with a new one")
    _write_key_list(args.folder, root_file, keys, current.version + 1, expires)
    print(f"revoked {matches[0][:16]}: boxes refuse what it signs once they hold this keys.json (the next publish)")
    return EXIT_OK


def _rotate(args: argparse.Namespace) -> int:
    root_file, current = _current(args)
    expires = _expiry(args)
    keyid = _new_publish_key(args.folder)
    _write_key_list(args.folder, root_file, _publish_keys(args.folder, [keyid]), current.version + 1, expires)
    print("revoked " + ", ".join(old[:16] for old in sorted(current.keys)) + f"; publish with --key "
          f"{args.folder / f'publish-{keyid[:16]}.key'} from now on")
    return EXIT_OK


def _renew(args: argparse.Namespace) -> int:
    root_file, current = _current(args)
    _write_key_list(args.folder, root_file, current.keys, current.version + 1, _expiry(args))
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from kiosk.boundary.signing import read_signed_key_list

    _signed, current = read_signed_key_list(args.folder / "keys.json")
    print(f"keys.json version {current.version}, expires {iso(current.expires)}")
    for keyid in sorted(current.keys):
        here = (args.folder / f"publish-{keyid[:16]}.key").exists()
        print(f"  publish key {keyid}" + (f"  ({args.folder / f'publish-{keyid[:16]}.key'})" if here else ""))
    return EXIT_OK


_ACTIONS = {"init": _init, "add-publish": _add_publish, "revoke": _revoke, "rotate": _rotate, "renew": _renew,
            "show": _show}
