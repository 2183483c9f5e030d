"""The hub's Ed25519 key: made once, kept in the instance folder (0600).

A bundle carries the public key and is signed with the private one; a
national hub trusts a hub by its public key (``festival outcomes key`` writes
it as a PEM file) and names it by the key's fingerprint.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "outcomes_key.pem"


def hub_key(instance_path: str) -> Ed25519PrivateKey:
    """This hub's private key, created on first use (owner-only file)."""
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        Path(instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:  # O_EXCL: two processes starting at once keep one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def raw_public(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key's 32 raw bytes, base64."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)).decode()


def fingerprint(public_b64: str) -> str:
    """A hub's short name: the first 16 bytes of SHA-256 of its raw public key, hex."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:32]


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public(data: bytes) -> str | None:
    """A public key file (PEM, or the raw key as base64) as raw base64; None when it is neither."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
            return raw_public(key) if isinstance(key, Ed25519PublicKey) else None
        raw = base64.b64decode(text, validate=True)
        return raw_public(Ed25519PublicKey.from_public_bytes(raw))
    except ValueError:
        return None


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def verify(public_b64: str, signature_b64: str, message: bytes) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), message)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
