"""The 国密 suite against published test vectors and against someone else's code.

The program makes SM2 signatures and envelopes with GmSSL (``gmssl-pyx``) and SM3/SM4 with OpenSSL
(``cryptography``). Here every one of them is checked by a second implementation — Tongsuo
(``tongsuopy``), GmSSL where the program used OpenSSL, and the OpenSSL command line — and what those
make is accepted by the program. A whole 国密 package is opened without the program's reader.
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import gmssl_pyx
import pytest
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto import serialization as ts_ser
from tongsuopy.crypto.asymciphers import ec as ts_ec
from tongsuopy.crypto.ciphers.aead import SM4GCM as TS_SM4GCM

from sanlian_desktop.kernel import canonical as cj
from sanlian_desktop.kernel.errors import UserError
from sanlian_desktop.kernel.vocab import Level
from sanlian_desktop.sync.transport.package import open_package
from sanlian_desktop.sync.transport.packfmt import MANIFEST_DOMAIN, encode_header
from sanlian_desktop.sync.trust.certs import (
    OfficeInfo,
    SuiteMismatchError,
    TrustError,
    certify,
    make_request,
)
from sanlian_desktop.sync.trust.chain import CertPool, check_signature, validate_chain
from sanlian_desktop.sync.trust.gm import (
    ENVELOPE_SIZE,
    GM_SUITE,
    SM2_DEFAULT_ID,
    GmSuite,
    ciphertext_to_der,
    ciphertext_to_raw,
    sm2_z,
)
from sanlian_desktop.sync.trust.keys import OfficeKeys, new_kek
from sanlian_desktop.sync.trust.statements import sign_statement, verify_statement
from sanlian_desktop.sync.trust.suite import DEFAULT_SUITE
from tests.sync.helpers import NAMES, T0, Office, certify_child, make_province, write_package

pytestmark = pytest.mark.suite_specific  # published 国密 vectors and interop with other SM2/SM3/SM4 code

G = GM_SUITE
OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command line is not installed")


# -- published vectors ------------------------------------------------------------------------------


def test_sm3_vectors_gbt_32905() -> None:
    assert G.hash(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    h = G.hasher()
    for _ in range(16):
        h.update(b"abcd")
    assert h.digest().hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_vectors_gbt_32907_and_rfc_8998() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    # GB/T 32907 example 1: one block, key = plaintext; the block cipher the suite's GCM runs on.
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    block = Cipher(algorithms.SM4(key), modes.ECB()).encryptor().update(key)
    assert block.hex() == "681edf34d206965e86b3e94f536e4246"
    # RFC 8998 appendix A.1: SM4-GCM through the suite's own seal/open.
    iv = bytes.fromhex("00001234567800000000abcd")
    aad = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    plain = bytes.fromhex("aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8 + "ee" * 8 + "aa" * 8)
    sealed = G.seal(key, iv, plain, aad)
    assert sealed[:-16].hex() == (
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
        "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
    )
    assert sealed[-16:].hex() == "83de3541e4c2b58177e065a9bf7b62ec"
    assert G.open(key, iv, sealed, aad) == plain
    assert G.open(key, iv, sealed, aad + b"!") is None


# GB/T 32918.5 (GM/T 0003.5) examples on the recommended curve, signer ID 1234567812345678.
_D = bytes.fromhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8")
_PUB = bytes.fromhex(
    "04" "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)


def _der_sig(r_hex: str, s_hex: str) -> bytes:
    def integer(v: bytes) -> bytes:
        v = v.lstrip(b"\0")
        v = b"\0" + v if v[0] & 0x80 else v
        return b"\x02" + bytes([len(v)]) + v

    body = integer(bytes.fromhex(r_hex)) + integer(bytes.fromhex(s_hex))
    return b"\x30" + bytes([len(body)]) + body


def test_sm2_signature_vector_gbt_32918_5() -> None:
    assert G.signer_id == SM2_DEFAULT_ID == b"1234567812345678"
    assert sm2_z(_PUB).hex() == "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
    signature = _der_sig(
        "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3",
        "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa",
    )
    assert G.verify(_PUB, b"message digest", signature)
    assert not G.verify(_PUB, b"message digesT", signature)
    assert not GmSuite(b"ALICE123@YAHOO.COM").verify(_PUB, b"message digest", signature)  # another signer ID
    # The program's own signature with the standard's key verifies (random k, so not the same bytes).
    private = _D + _PUB[1:]
    assert G.check_private(private, private)
    assert G.verify(_PUB, b"message digest", G.sign(private, b"message digest"))


def test_sm2_encryption_vector_gbt_32918_5() -> None:
    raw = bytes.fromhex(
        "04" "04ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73"
        "e858f9d81e5430a57b36daab8f950a3c64e6ee6a63094d99283aff767e124df0"
        "59983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd8766"
        "21886ca989ca9c7d58087307ca93092d651efa"
    )
    assert gmssl_pyx.sm2_decrypt(_D, ciphertext_to_der(raw)) == b"encryption standard"
    assert ciphertext_to_raw(ciphertext_to_der(raw)) == raw


# -- someone else's code: Tongsuo, GmSSL, the OpenSSL command line ----------------------------------


def _ts_private(private: bytes) -> ts_ec.EllipticCurvePrivateKey:
    return ts_ec.derive_private_key(int.from_bytes(private[:32], "big"), ts_ec.SM2())


def _ts_public(public: bytes) -> ts_ec.EllipticCurvePublicKey:
    return ts_ec.EllipticCurvePublicKey.from_encoded_point(ts_ec.SM2(), public)


def _pem_files(tmp_path: Path, private: bytes) -> tuple[Path, Path]:
    key = _ts_private(private)
    priv_pem, pub_pem = tmp_path / "sm2.pem", tmp_path / "sm2pub.pem"
    priv_pem.write_bytes(key.private_bytes(ts_ser.Encoding.PEM, ts_ser.PrivateFormat.PKCS8, ts_ser.NoEncryption()))
    pub_pem.write_bytes(key.public_key().public_bytes(ts_ser.Encoding.PEM, ts_ser.PublicFormat.SubjectPublicKeyInfo))
    return priv_pem, pub_pem


def _openssl(*args: str, data: bytes = b"") -> bytes:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], input=data, capture_output=True, check=True).stdout


def _der_ciphertext(raw: bytes) -> bytes:
    """GM/T 0009 DER of a raw C1C3C2 ciphertext, written here apart from the program's converter."""
    def tlv(tag: int, body: bytes) -> bytes:
        n = len(body)
        return bytes([tag]) + (bytes([n]) if n < 128 else bytes([0x81, n])) + body

    def integer(v: bytes) -> bytes:
        v = v.lstrip(b"\0") or b"\0"
        return tlv(2, b"\0" + v if v[0] & 0x80 else v)

    return tlv(0x30, integer(raw[1:33]) + integer(raw[33:65]) + tlv(4, raw[65:97]) + tlv(4, raw[97:]))


def test_signatures_interoperate_with_tongsuo() -> None:
    private = G.generate_signing_key()
    public = G.signing_public(private)
    for message in (b"", b"hello", bytes(range(256)) * 40):
        ours = G.sign(private, message)
        assert ours[0] == 0x30  # DER
        _ts_public(public).verify(ours, message, ts_ts := ts_ec.ECDSA(ts_hashes.SM3()))
        theirs = _ts_private(private).sign(message, ts_ts)
        assert G.verify(public, message, theirs)
        assert not G.verify(public, message + b".", theirs)
    assert _ts_public(public).public_bytes(ts_ser.Encoding.X962, ts_ser.PublicFormat.UncompressedPoint) == public


@needs_openssl
def test_signatures_interoperate_with_the_openssl_command_line(tmp_path: Path) -> None:
    private = G.generate_signing_key()
    priv_pem, pub_pem = _pem_files(tmp_path, private)
    message = tmp_path / "m"
    message.write_bytes(MANIFEST_DOMAIN + b'{"x":1}')
    sig = tmp_path / "sig"
    sig.write_bytes(G.sign(private, message.read_bytes()))
    common = ["-rawin", "-in", str(message), "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]
    assert b"Verified Successfully" in _openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(pub_pem),
                                                 "-sigfile", str(sig), *common)
    with pytest.raises(subprocess.CalledProcessError):  # OpenSSL told another signer ID refuses it too
        _openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(pub_pem), "-sigfile", str(sig), "-rawin", "-in",
                 str(message), "-digest", "sm3", "-pkeyopt", "distid:ALICE123@YAHOO.COM")
    theirs = _openssl("pkeyutl", "-sign", "-inkey", str(priv_pem), *common)
    assert G.verify(G.signing_public(private), message.read_bytes(), theirs)


@needs_openssl
def test_envelopes_interoperate_with_the_openssl_command_line(tmp_path: Path) -> None:
    private = G.generate_encryption_key()
    public = G.encryption_public(private)
    priv_pem, pub_pem = _pem_files(tmp_path, private)
    for _ in range(3):
        enc, key = G.encapsulate(public)
        assert len(enc) == ENVELOPE_SIZE and enc[0] == 4  # raw C1 || C3 || C2
        assert _openssl("pkeyutl", "-decrypt", "-inkey", str(priv_pem), data=_der_ciphertext(enc)) == key
        theirs = _openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", str(pub_pem), data=key)
        assert ciphertext_to_raw(theirs)[:1] == b"\x04"
        assert G.decapsulate(ciphertext_to_raw(theirs), private) == key
    # GmSSL's own DER envelope reads back the same.
    assert G.decapsulate(ciphertext_to_raw(gmssl_pyx.sm2_encrypt(public[1:], b"k" * 16)), private) == b"k" * 16


@needs_openssl
def test_sm3_agrees_with_gmssl_tongsuo_and_openssl() -> None:
    for data in (b"", b"abc", bytes(range(256)) * 1000):
        ours = G.hash(data)
        assert gmssl_pyx.sm3_hash(data) == ours
        h = ts_hashes.Hash(ts_hashes.SM3())
        h.update(data)
        assert h.finalize() == ours
        assert _openssl("dgst", "-sm3", "-r", data=data).split()[0].decode() == ours.hex()


def test_sm4_gcm_agrees_with_tongsuo_and_gmssl() -> None:
    key, nonce, aad = bytes(range(16)), bytes(range(12)), b"header"
    for plain in (b"", b"x", bytes(range(256)) * 300):
        ours = G.seal(key, nonce, plain, aad)
        assert TS_SM4GCM(key).decrypt(nonce, ours, aad) == plain
        assert G.open(key, nonce, TS_SM4GCM(key).encrypt(nonce, plain, aad), aad) == plain
        if plain:  # GmSSL's binding refuses an empty message
            assert gmssl_pyx.sm4_gcm_decrypt(key, nonce, aad, ours[:-16], ours[-16:]) == plain
            c, tag = gmssl_pyx.sm4_gcm_encrypt(key, nonce, aad, plain)
            assert G.open(key, nonce, c + tag, aad) == plain


# -- a whole 国密 package, opened without the program's reader ---------------------------------------


@pytest.fixture(scope="module")
def gm_offices() -> dict[str, Office]:
    province = make_province(suite=G)
    city = certify_child(province, "620100", Level.CITY, NAMES["620100"])
    county = certify_child(city, "620102", Level.COUNTY, NAMES["620102"])
    return {"620000": province, "620100": city, "620102": county}


def _hkdf_sm3(ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 over GmSSL's HMAC-SM3 (the program derives with OpenSSL's)."""
    prk = gmssl_pyx.sm3_hmac(b"\0" * 32, ikm)
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = gmssl_pyx.sm3_hmac(prk, block + info + bytes([counter]))
        out, counter = out + block, counter + 1
    return out[:length]


@needs_openssl
def test_a_gm_package_opens_with_other_implementations(tmp_path: Path, gm_offices: dict[str, Office]) -> None:
    county, city = gm_offices["620102"], gm_offices["620100"]
    entries = [("declaration", f"d{i}", 1, bytes([i]) * (300 + 97 * i)) for i in range(6)]
    path = tmp_path / "gm.sanlian"
    write_package(path, county, city, entries, chunk_size=512)
    data = path.read_bytes()

    # Header: clear JSON after magic, version and length.
    magic, version, hlen = struct.unpack(">8sHI", data[:14])
    assert (magic, version) == (b"SANLIAN\x1a", 2)
    header_raw, header = data[: 14 + hlen], json.loads(data[14 : 14 + hlen])
    assert header["suite"] == G.name
    # Envelope: OpenSSL opens the SM2 ciphertext (C1C3C2) with the city's private key.
    enc = base64.b64decode(header["enc"])
    priv_pem, _ = _pem_files(tmp_path, city.keys.enc_private)
    sm4_key = _openssl("pkeyutl", "-decrypt", "-inkey", str(priv_pem), data=_der_ciphertext(enc))
    assert len(sm4_key) == 16
    body_key = _hkdf_sm3(sm4_key, b"sanlian-gm1-envelope\x00" + enc + city.cert.enc_key
                         + gmssl_pyx.sm3_hash(header_raw), 16)
    # Body: Tongsuo's SM4-GCM opens every chunk (nonce = 11-byte index || final flag, nonce as AAD).
    sealed, size = data[14 + hlen :], header["chunk_size"] + 16
    pieces = [sealed[i : i + size] for i in range(0, len(sealed), size)]
    assert len(pieces) > 3
    plain = b""
    for i, piece in enumerate(pieces):
        nonce = i.to_bytes(11, "big") + (b"\x01" if i == len(pieces) - 1 else b"\x00")
        plain += TS_SM4GCM(body_key).decrypt(nonce, piece, nonce)
    # Manifest: the county's SM2 signature verifies under Tongsuo, over exactly the signed bytes.
    (mlen,) = struct.unpack(">I", plain[:4])
    manifest_raw = plain[4 : 4 + mlen]
    start, end = len(b'{"manifest":'), manifest_raw.rindex(b',"signature":')
    manifest = json.loads(manifest_raw)
    signature = base64.b64decode(manifest["signature"])
    _ts_public(county.cert.sign_key).verify(
        signature, MANIFEST_DOMAIN + manifest_raw[start:end], ts_ec.ECDSA(ts_hashes.SM3()))
    # The chain in it: every certificate's SM2 signature verifies under Tongsuo.
    for cert, issuer in zip(county.chain, county.chain[1:] + county.chain[-1:], strict=True):
        _ts_public(issuer.sign_key).verify(cert.signature, cert.signed_message(), ts_ec.ECDSA(ts_hashes.SM3()))
    # Entries: GmSSL's SM3 of each matches the manifest's digest.
    offset = 4 + mlen
    for rec, (_, _, _, payload) in zip(manifest["manifest"]["entries"], entries, strict=True):
        got = plain[offset : offset + rec["length"]]
        assert got == payload and gmssl_pyx.sm3_hash(got).hex() == rec["digest"]
        offset += rec["length"]
    assert offset == len(plain)
    # And the program opens it too.
    with open_package(path, city.keys, gm_offices["620000"].cert, set(), T0 + timedelta(days=11),
                      require_adjacent=False) as pkg:
        assert [e.id for e in pkg.entries] == [e[1] for e in entries]


# -- bad input: another suite, a cut envelope, a wrong signer ID ------------------------------------


@pytest.fixture(scope="module")
def sl1_offices() -> dict[str, Office]:
    province = make_province()
    city = certify_child(province, "620100", Level.CITY, NAMES["620100"])
    return {"620000": province, "620100": city}


def test_a_package_of_another_suite_is_refused_clearly(
    tmp_path: Path, gm_offices: dict[str, Office], sl1_offices: dict[str, Office]
) -> None:
    path = tmp_path / "p.sanlian"
    write_package(path, gm_offices["620102"], gm_offices["620100"], [("declaration", "d", 1, b"{}")])
    before = path.read_bytes()
    with pytest.raises(SuiteMismatchError, match=r"国密算法（SM2/SM3/SM4）.*国际通用算法") as err:
        open_package(path, sl1_offices["620100"].keys, sl1_offices["620000"].cert, set(), T0 + timedelta(days=11),
                     require_adjacent=False)
    assert "suite" in err.value.en
    assert path.read_bytes() == before
    # Nor can an SL1 office make one for a 国密 recipient.
    with pytest.raises(SuiteMismatchError, match="接收单位兰州市民政局"):
        write_package(tmp_path / "q.sanlian", sl1_offices["620100"], gm_offices["620100"], [])
    assert not (tmp_path / "q.sanlian").exists()


def test_certificates_of_another_suite_are_refused(
    gm_offices: dict[str, Office], sl1_offices: dict[str, Office]
) -> None:
    # A 国密 city cannot certify a request made with SL1 keys, and says what to do.
    keys = OfficeKeys.generate()
    request = make_request(OfficeInfo("620102", Level.COUNTY, NAMES["620102"]), keys, now=T0)
    with pytest.raises(SuiteMismatchError, match=r"一条证书链只能使用一种算法套件.*--suite"):
        certify(request, gm_offices["620100"].cert, gm_offices["620100"].keys, now=T0)
    # A chain that mixes suites: an SL1 certificate under a 国密 issuer.
    gm_city = gm_offices["620100"]
    mixed = replace(certify_child(sl1_offices["620100"], "620102", Level.COUNTY, NAMES["620102"]).cert,
                    issuer_code=gm_city.cert.code, issuer_serial=gm_city.cert.serial)
    with pytest.raises(SuiteMismatchError, match="证书链混用了算法套件"):
        validate_chain([mixed, *gm_city.chain], gm_offices["620000"].cert, T0 + timedelta(days=1))
    # A 国密 chain against an SL1 pinned root.
    with pytest.raises(SuiteMismatchError, match="根证书"):
        validate_chain(gm_city.chain, sl1_offices["620000"].cert, T0 + timedelta(days=1))
    with pytest.raises(SuiteMismatchError):
        validate_chain(gm_city.chain[:1], sl1_offices["620000"].cert, T0 + timedelta(days=1))


def test_a_cut_or_altered_envelope_is_refused(tmp_path: Path, gm_offices: dict[str, Office]) -> None:
    city = gm_offices["620100"]
    enc, _ = G.encapsulate(city.cert.enc_key)
    for bad in (enc[:-1], enc[:64], enc + b"\0", b"", b"\x05" + enc[1:]):
        with pytest.raises(UserError, match=r"数字信封.*不完整或已损坏"):
            G.decapsulate(bad, city.keys.enc_private)
    flipped = enc[:-3] + bytes([enc[-3] ^ 1]) + enc[-2:]
    with pytest.raises(UserError, match="数字信封") as err:
        G.decapsulate(flipped, city.keys.enc_private)
    assert "C3" in err.value.en
    # In a package: the header's envelope cut by one byte (lengths made to fit) is refused, file untouched.
    path = tmp_path / "p.sanlian"
    write_package(path, gm_offices["620102"], city, [("declaration", "d", 1, b"{}")])
    data = path.read_bytes()
    (hlen,) = struct.unpack(">I", data[10:14])
    fields = json.loads(data[14 : 14 + hlen])
    fields["enc"] = cj.b64(base64.b64decode(fields["enc"])[:-1])
    bad = tmp_path / "bad.sanlian"
    bad.write_bytes(encode_header(fields) + data[14 + hlen :])
    with pytest.raises(UserError, match="数字信封"):
        open_package(bad, city.keys, gm_offices["620000"].cert, set(), T0 + timedelta(days=11), require_adjacent=False)


def test_a_signature_under_another_signer_id_is_refused(gm_offices: dict[str, Office]) -> None:
    county = gm_offices["620102"]
    other_id = OfficeKeys(county.keys.sign_private, county.keys.enc_private, GmSuite(b"ALICE123@YAHOO.COM"))
    data = sign_statement("opinion", {"x": 1}, other_id, county.chain, at=T0 + timedelta(days=2))
    pool = CertPool(gm_offices["620000"].cert, certs=county.chain)
    with pytest.raises(TrustError, match="签名无效"):
        verify_statement(data, pool)
    good = sign_statement("opinion", {"x": 1}, county.keys, county.chain, at=T0 + timedelta(days=2))
    assert verify_statement(good, pool).body == {"x": 1}
    with pytest.raises(TrustError, match="签名无效"):
        check_signature(county.cert, b"m", other_id.sign(b"m"))


def test_gm_office_keys_seal_and_refuse_a_mismatched_pair() -> None:
    keys = OfficeKeys.generate(G)
    assert len(keys.sign_public) == 65 and keys.sign_public != keys.enc_public
    kek = new_kek()
    assert OfficeKeys.unseal(keys.seal(kek), kek) == keys
    with pytest.raises(UserError, match="无法解开本单位密钥"):
        OfficeKeys.unseal(keys.seal(kek), new_kek())
    other = G.generate_signing_key()
    assert not G.check_private(keys.sign_private[:32] + other[32:], keys.enc_private)
    assert G.check_private(keys.sign_private, keys.enc_private)
    assert DEFAULT_SUITE.check_private(bytes(32), bytes(32))


def test_gmssl_error_traces_do_not_reach_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    private = G.generate_signing_key()
    assert not G.verify(G.signing_public(private), b"m", G.sign(private, b"n"))
    with pytest.raises(UserError):
        G.decapsulate(b"\x04" + bytes(ENVELOPE_SIZE - 1), G.generate_encryption_key())
    _, err = capfd.readouterr()
    assert "gmssl" not in err.lower() and ".c:" not in err


@pytest.mark.slow
def test_every_flip_truncation_and_append_of_a_gm_package_is_refused(
    tmp_path: Path, gm_offices: dict[str, Office]
) -> None:
    """The chunk sealing guarantees under SM4-GCM: any changed, missing or extra byte is refused."""
    city = gm_offices["620100"]
    path = tmp_path / "p.sanlian"
    write_package(path, gm_offices["620102"], city, [("declaration", f"d{i}", 1, b"{}" * 40) for i in range(3)],
                  chunk_size=256)
    data = path.read_bytes()
    bad = tmp_path / "bad.sanlian"

    def refused(content: bytes) -> str:
        bad.write_bytes(content)
        with pytest.raises(UserError) as err:
            open_package(bad, city.keys, gm_offices["620000"].cert, set(), T0 + timedelta(days=11),
                         require_adjacent=False)
        return err.value.zh

    messages = {refused(data[:i] + bytes([data[i] ^ 0x41]) + data[i + 1 :]) for i in range(len(data))}
    messages |= {refused(data[:n]) for n in range(len(data))}
    assert "多出" in refused(data + b"\0")
    assert all("Traceback" not in m and m for m in messages)
    assert any("数字信封" in m for m in messages) and any("数据块" in m for m in messages)
    with open_package(path, city.keys, gm_offices["620000"].cert, set(), T0 + timedelta(days=11),
                      require_adjacent=False) as pkg:
        assert len(pkg.entries) == 3
