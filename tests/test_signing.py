"""Signature payloads and the three signers, against the spec's official vectors."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from binance_usdm_ws._core._signing import (
    Ed25519Signer,
    HmacSigner,
    RsaSigner,
    load_signer,
    signature_payload,
)
from binance_usdm_ws.errors import InvalidRequest

from ._data import DATA

SAMPLES = DATA
VECTORS = json.loads((SAMPLES / "signature-test-vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["hmacVectors"], ids=lambda v: v["name"])
def test_hmac_vectors(vector):
    """Every official HMAC vector signs to the published value."""
    assert HmacSigner(vector["secretKey"]).sign(vector["payload"]) == vector["expectedSignature"]


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS["hmacVectors"] if v["params"]], ids=lambda v: v["name"]
)
def test_payload_from_params(vector):
    """The sorted name=value payload built from params equals the published payload."""
    assert signature_payload(vector["params"]) == vector["payload"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["nonReproducible"] if v["name"].startswith("spot-ws")],
    ids=lambda v: v["name"],
)
def test_published_rsa_ed25519_payloads(vector):
    """The payloads of the published RSA/Ed25519 examples are rebuilt exactly from their params."""
    pairs = dict(item.split("=", 1) for item in vector["payload"].split("&"))
    params = {k: int(v) if k in ("recvWindow", "timestamp") else v for k, v in pairs.items()}
    reordered = dict(reversed(list(params.items())))
    assert signature_payload(reordered) == vector["payload"]


def test_payload_rules():
    """Signature is excluded, booleans are true/false, non-ASCII stays raw (no percent-encoding)."""
    params = {"symbol": "１２３", "reduceOnly": True, "signature": "x", "a": 1, "id": "c:/d"}
    assert signature_payload(params) == "a=1&id=c:/d&reduceOnly=true&symbol=１２３"


def test_rsa_signature_verifies():
    """An RSA signature verifies with the public key (PKCS#1 v1.5, SHA-256, base64)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    signer = load_signer(private_key=pem.decode(), private_key_passphrase="pw")
    assert isinstance(signer, RsaSigner)
    sig = signer.sign("a=1&b=2")
    key.public_key().verify(base64.b64decode(sig), b"a=1&b=2", padding.PKCS1v15(), hashes.SHA256())


def test_ed25519_from_file_verifies(tmp_path):
    """An Ed25519 key loads from a file path and its base64 signature verifies."""
    key = ed25519.Ed25519PrivateKey.generate()
    path = tmp_path / "key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = load_signer(api_secret="ignored", private_key=str(path))
    assert isinstance(signer, Ed25519Signer)
    sig = signer.sign("apiKey=k&timestamp=1")
    assert len(sig) == 88
    key.public_key().verify(base64.b64decode(sig), b"apiKey=k&timestamp=1")


def test_bad_keys_are_typed_errors_without_secrets():
    """A bad key path or wrong passphrase gives InvalidRequest, and reprs hide the secret."""
    with pytest.raises(InvalidRequest, match="neither PEM"):
        load_signer(private_key="/no/such/file")
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"right"),
    )
    with pytest.raises(InvalidRequest) as info:
        load_signer(private_key=pem, private_key_passphrase="wrong")
    assert "right" not in str(info.value)
    assert "s3cret" not in repr(HmacSigner("s3cret"))
    assert load_signer() is None


def test_payload_renders_every_value_type():
    """true/false for booleans, str() for numbers and decimals; strings as they are."""
    from decimal import Decimal

    params = {"b": False, "a": True, "c": 5, "d": Decimal("0.010"), "e": "x y", "f": None}
    assert signature_payload(params) == "a=true&b=false&c=5&d=0.010&e=x y&f=None"


def test_signer_reprs_name_the_type_and_hide_the_key():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    assert repr(HmacSigner("s3cret-value")) == "HmacSigner(secret=***)"
    assert repr(RsaSigner(rsa_key)) == "RsaSigner(private_key=***)"
    assert repr(Ed25519Signer(ed_key)) == "Ed25519Signer(private_key=***)"
    assert [HmacSigner("k").key_type, RsaSigner(rsa_key).key_type] == ["HMAC", "RSA"]
    assert Ed25519Signer(ed_key).key_type == "Ed25519"


def test_key_errors_name_the_parameter(tmp_path):
    """Every key problem is an InvalidRequest about ``private_key``, saying which problem."""
    with pytest.raises(InvalidRequest) as info:
        load_signer(private_key="not a key and not a file")
    assert info.value.param == "private_key"
    assert str(info.value) == "private_key is neither PEM text nor the path of a file"
    with pytest.raises(InvalidRequest) as info:
        load_signer(private_key=b"-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----")
    assert info.value.param == "private_key"
    assert "could not be loaded (ValueError): wrong format or passphrase" in str(info.value)
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(InvalidRequest) as info:
        load_signer(private_key=ec_pem)
    assert info.value.param == "private_key"
    ec_type = type(serialization.load_pem_private_key(ec_pem, None)).__name__
    assert str(info.value) == f"unsupported private key type {ec_type}: use RSA or Ed25519"
    # A path given as bytes loads too; an HMAC secret alone gives the HMAC signer.
    ed_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "ed.pem"
    path.write_bytes(ed_pem)
    assert isinstance(load_signer(private_key=str(path).encode()), Ed25519Signer)
    hmac_signer = load_signer(api_secret="abc")
    assert isinstance(hmac_signer, HmacSigner)
    assert hmac_signer.sign("x=1") == HmacSigner("abc").sign("x=1")


def test_without_cryptography_a_private_key_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.serialization", None)
    with pytest.raises(InvalidRequest) as info:
        load_signer(private_key="-----BEGIN PRIVATE KEY-----")
    assert str(info.value) == (
        "RSA and Ed25519 keys need the 'cryptography' package: "
        "pip install 'binance-usdm-ws[crypto]'"
    )
    assert info.value.param == "private_key"
    assert isinstance(info.value.__cause__, ImportError)
    assert isinstance(load_signer(api_secret="s"), HmacSigner)  # HMAC needs nothing more
