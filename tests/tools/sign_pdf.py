"""Signs a PDF with pyHanko, as an outside tool would, for the signature tests.

    sign_pdf.py KEYDIR IN.pdf OUT.pdf FIELD [rsa|ec|rsa-pss]

Makes (once per KEYDIR) a CA (RSA 2048) and a signer certificate issued by it with an RSA or
EC P-256 key, then adds a PAdES signature in field FIELD as an incremental update. The CA's
certificate is KEYDIR/ca.pem (a trust anchor for the server).
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])


def write_key(path, key):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def write_cert(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def ensure_keys(keydir, kind):
    ca_key_path, ca_path = os.path.join(keydir, "ca.key"), os.path.join(keydir, "ca.pem")
    now = datetime.datetime.now(datetime.timezone.utc)
    if not os.path.exists(ca_path):
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca = (x509.CertificateBuilder().subject_name(name("Test CA ký số")).issuer_name(name("Test CA ký số"))
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                           crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        write_key(ca_key_path, ca_key)
        write_cert(ca_path, ca)
    ca_key = serialization.load_pem_private_key(open(ca_key_path, "rb").read(), None)
    ca = x509.load_pem_x509_certificate(open(ca_path, "rb").read())
    key_path, cert_path = os.path.join(keydir, kind + ".key"), os.path.join(keydir, kind + ".pem")
    if not os.path.exists(cert_path):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" \
            else ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name("Nguyễn Văn Hùng")).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .sign(ca_key, hashes.SHA256()))
        write_key(key_path, key)
        write_cert(cert_path, cert)
    return key_path, cert_path, ca_path


def main():
    keydir, inp, out, field = sys.argv[1:5]
    kind = sys.argv[5] if len(sys.argv) > 5 else "rsa"
    pss = kind == "rsa-pss"
    key_path, cert_path, ca_path = ensure_keys(keydir, "rsa" if pss else kind)
    signer = signers.SimpleSigner.load(key_path, cert_path, ca_chain_files=(ca_path,), prefer_pss=pss)
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    with open(inp, "rb") as f:
        writer = IncrementalPdfFileWriter(f, strict=False)
        with open(out, "wb") as o:
            signers.sign_pdf(writer, meta, signer=signer, output=o)


if __name__ == "__main__":
    main()
