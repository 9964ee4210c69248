"""Request identity: make Restate's signing key, and the public key this service checks.

Restate signs every request it sends to the service with an ed25519 private key; the
service, given the matching public key in ``RESTATE_IDENTITY_KEYS``, answers anything
unsigned with 401. So only your Restate can invoke your handlers.

    python -m {{ cookiecutter.package_name }}.identity_key restate-identity.pem

writes a new private key to restate-identity.pem (if the file does not exist yet) and
prints the public key, ``publickeyv1_…``. Give the file to restate-server
(``[worker.invoker] request-identity-private-key-pem-file``) and the key to the service
(``RESTATE_IDENTITY_KEYS=publickeyv1_…``). It uses the ``cryptography`` package, which
pyproject.toml declares as a dependency of the service. Never commit the private key.
"""

import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # Bitcoin's


def base58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = BASE58_ALPHABET[digit] + digits
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + digits


def public_key_of(pem_file: Path) -> str:
    """The ``publickeyv1_…`` form of the private key in this PEM file."""
    private_key = serialization.load_pem_private_key(pem_file.read_bytes(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError(f"{pem_file} does not hold an ed25519 private key")
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "publickeyv1_" + base58(raw)


def new_private_key(pem_file: Path) -> None:
    """Write a new ed25519 private key, readable by its owner only."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem_file.touch(mode=0o600, exist_ok=False)
    pem_file.write_bytes(pem)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    key_file = Path(sys.argv[1])
    if not key_file.exists():
        new_private_key(key_file)
    print(public_key_of(key_file))
