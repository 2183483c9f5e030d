"""HTTPS on the venue LAN: a local certificate authority and a server certificate.

Kiosk cameras need a secure context, and ``http://192.168.x.y`` is not one.
``festival serve --https`` makes (once) a small CA that the organiser installs
on each kiosk, and a server certificate signed by it for this laptop's names
and LAN addresses. The server certificate is made again, by the same CA,
whenever the laptop's addresses change (another venue, another router):
kiosks that trust the CA keep working. Only the CA *certificate* is ever
served (``/ca.crt``); both private keys stay in ``instance/tls/`` (mode 0600).
"""
from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.network import lan_addresses

CA_DAYS = 3650
SERVER_DAYS = 397  # browsers refuse server certificates valid for longer
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path


def tls_dir(instance_path: str | os.PathLike) -> Path:
    return Path(instance_path) / "tls"


def ca_cert_path(instance_path: str | os.PathLike) -> Path:
    return tls_dir(instance_path) / "ca.crt"


def default_names() -> list[str]:
    """localhost, 127.0.0.1, this laptop's LAN addresses and host name."""
    names = ["localhost", "127.0.0.1", *lan_addresses()]
    host = socket.gethostname()
    if host and host not in names:
        names.append(host)
    return names


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by this user only, atomically."""
    temp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(temp, path)


def _write_public(path: Path, data: bytes) -> None:
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries = []
    for name in dict.fromkeys(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _make_ca(folder: Path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Festival Kiosk"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Festival Kiosk local CA ({socket.gethostname()})")])
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write_private(folder / "ca.key", _pem_key(key))
    _write_public(folder / "ca.crt", cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _load_ca(folder: Path):
    """The stored CA (cert, key) if both exist and it is valid a while yet, else None."""
    try:
        cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
        key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    except (FileNotFoundError, ValueError):
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE < datetime.now(timezone.utc):
        return None
    return cert, key


def _server_cert_ok(folder: Path, ca_cert, names: list[str]) -> bool:
    """True when the stored server certificate is from this CA, valid a while
    yet and covers every name."""
    try:
        cert = x509.load_pem_x509_certificate((folder / "server.crt").read_bytes())
        serialization.load_pem_private_key((folder / "server.key").read_bytes(), password=None)
    except (FileNotFoundError, ValueError):
        return False
    if cert.issuer != ca_cert.subject or cert.not_valid_after_utc - RENEW_BEFORE < datetime.now(timezone.utc):
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    covered = set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    return set(_san(names)) <= covered


def _make_server(folder: Path, ca_cert, ca_key, names: list[str]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=SERVER_DAYS))
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(folder / "server.key", _pem_key(key))
    _write_public(folder / "server.crt", cert.public_bytes(serialization.Encoding.PEM))


def ensure_certificates(instance_path: str | os.PathLike, names: list[str] | None = None) -> TlsFiles:
    """Return the CA and server certificate files, making them when missing,
    expiring soon, or (server certificate only) not covering every name.

    ``names`` defaults to :func:`default_names`. Raises OSError when the
    instance folder is not writable.
    """
    folder = tls_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(names or default_names()))
    ca = _load_ca(folder)
    if ca is None:
        ca = _make_ca(folder)
        (folder / "server.crt").unlink(missing_ok=True)
    ca_cert, ca_key = ca
    if not _server_cert_ok(folder, ca_cert, names):
        _make_server(folder, ca_cert, ca_key, names)
    return TlsFiles(folder / "ca.crt", folder / "server.crt", folder / "server.key")


def fingerprint(path: str | os.PathLike) -> str:
    """SHA-256 fingerprint of a certificate, as kiosks show it when importing."""
    cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()
