"""Signed checkpoints: an Ed25519 signature over the chain's hash at a given seq.

A checkpoint pins the chain: whoever rewrites events up to its seq (even recomputing every
hash after the change) cannot make the hash at that seq come out the same, and cannot sign a
new one without the private key. The key lives in the workspace
(``.wardwatch/audit_ed25519.pem``, mode 0600, created on first use) with its public half
beside it (``audit_ed25519.pub``); verification trusts those public keys and any given
explicitly (for instance a copy kept away from the database's administrators).

What is signed: ``b"wardwatch.audit.checkpoint/1\\n"`` followed by the canonical JSON of
``{"seq", "hash", "at", "key_id"}`` (``at`` as canonical UTC text, ``key_id`` the first 16 hex
digits of the SHA-256 of the raw 32-byte public key).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wardwatch.audit._chain import AuditError, canonical_json, canonical_time, sha256_hex

__all__ = [
    "Checkpoint",
    "key_id",
    "load_or_create_key",
    "load_public_key",
    "public_key_hex",
    "public_key_path",
    "sign_checkpoint",
]

_DOMAIN = b"wardwatch.audit.checkpoint/1\n"


def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key as 64 hex digits."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(public_hex: str) -> str:
    """A short name for a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return sha256_hex(bytes.fromhex(public_hex))[:16]


def public_key_path(private_path: Path) -> Path:
    """Where the public half of ``private_path`` is kept (``audit_ed25519.pub``)."""
    return private_path.with_name(private_path.stem + ".pub")


def _write_exclusive(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` atomically unless it exists; True if this call wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-" + path.name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            os.link(tmp, path)  # atomic, and refuses to replace: two creators cannot race
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_or_create_key(path: Path, *, create: bool = True) -> Ed25519PrivateKey | None:
    """The Ed25519 signing key at ``path``; generated (mode 0600) when missing and ``create``.

    Returns None when the file is missing and ``create`` is false. A file that is not an
    unencrypted PEM Ed25519 private key raises :class:`AuditError`.
    """
    if not path.exists():
        if not create:
            return None
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_exclusive(path, pem, 0o600)  # another process may have won: read its key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise AuditError(
            "audit signing key cannot be read", record=str(path),
            expected="an unencrypted PEM Ed25519 private key", found=type(exc).__name__,
        ) from None  # fmt: skip
    if not isinstance(loaded, Ed25519PrivateKey):
        raise AuditError(
            "audit signing key has the wrong type", record=str(path),
            expected="Ed25519", found=type(loaded).__name__,
        )  # fmt: skip
    pub_path = public_key_path(path)
    if not pub_path.exists():
        pub_pem = loaded.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write_exclusive(pub_path, pub_pem, 0o644)
    return loaded


def load_public_key(path: Path) -> str:
    """The public key in a PEM file (``audit_ed25519.pub``) as 64 hex digits."""
    try:
        loaded = serialization.load_pem_public_key(path.read_bytes())
    except ValueError as exc:
        raise AuditError(
            "audit public key cannot be read", record=str(path),
            expected="a PEM Ed25519 public key", found=type(exc).__name__,
        ) from None  # fmt: skip
    if not isinstance(loaded, Ed25519PublicKey):
        raise AuditError(
            "audit public key has the wrong type", record=str(path),
            expected="Ed25519", found=type(loaded).__name__,
        )  # fmt: skip
    return public_key_hex(loaded)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain's event ``seq`` had hash ``hash``."""

    seq: int
    hash: str
    at: datetime
    key_id: str
    public_key: str
    signature: str

    def message(self) -> bytes:
        """The bytes the signature covers (see the module doc)."""
        body = {"seq": self.seq, "hash": self.hash, "at": canonical_time(self.at)}
        return _DOMAIN + canonical_json({**body, "key_id": self.key_id})

    def signature_valid(self) -> bool:
        """True if ``signature`` verifies under ``public_key`` and ``key_id`` names that key.

        Says nothing about whether the key is trusted: compare ``key_id`` with pinned keys.
        """
        try:
            if key_id(self.public_key) != self.key_id:
                return False
            pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.public_key))
            pub.verify(bytes.fromhex(self.signature), self.message())
        except (InvalidSignature, ValueError):
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": canonical_time(self.at),
            "key_id": self.key_id,
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Checkpoint:
        """Read :meth:`to_dict` output back; raises :class:`AuditError` when a field is bad."""
        try:
            return cls(
                seq=int(d["seq"]),
                hash=str(d["hash"]),
                at=datetime.fromisoformat(str(d["at"]).replace("Z", "+00:00")),
                key_id=str(d["key_id"]),
                public_key=str(d["public_key"]),
                signature=str(d["signature"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AuditError(
                "checkpoint record is malformed",
                expected="seq, hash, at, key_id, public_key, signature",
                found=f"{type(exc).__name__}: {exc}",
            ) from None


def sign_checkpoint(key: Ed25519PrivateKey, *, seq: int, hash: str, at: datetime) -> Checkpoint:
    """Sign the statement "event ``seq`` has hash ``hash``" at time ``at``."""
    pub = public_key_hex(key)
    unsigned = Checkpoint(seq, hash, at, key_id(pub), pub, signature="")
    return Checkpoint(
        seq, hash, at, unsigned.key_id, pub, signature=key.sign(unsigned.message()).hex()
    )
