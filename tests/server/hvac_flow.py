#!/usr/bin/python3
"""The usage guide's whole flow, through hvac's own API, against a running pki serve.

Run by hvac_test.sh with /usr/bin/python3 (Debian's python3-hvac lives there), with ADDR (the
server's URL) and TOKEN (its root token) in the environment. Prints one line per step,
"ok   NAME" or "FAIL NAME: WHY", then "steps: N, failed: M"; exits 1 naming the failed steps.
A step that needs what an earlier failed step should have made fails too (it says so): no step
is skipped. Every certificate is checked as its user would check it, with openssl.
"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

try:
    import hvac
    import hvac.exceptions
except ImportError as e:
    print(f"FAIL import hvac: the package python3-hvac is missing for {sys.executable} ({e}); "
          "install it with apt-get install python3-hvac")
    print("steps: 1, failed: 1")
    sys.exit(1)

ADDR = os.environ["ADDR"]
TOKEN = os.environ["TOKEN"]
TMP = tempfile.mkdtemp(prefix="hvac-flow-")
atexit.register(shutil.rmtree, TMP, True)
STEPS = 0
FAILED = []
S = {}  # what the steps made, by name; a missing entry means the step that makes it failed


class Needs(Exception):
    pass


def need(key):
    if key not in S:
        raise Needs(f"needs {key!r}, which an earlier step failed to produce")
    return S[key]


def step(name):
    """Decorator: runs the function as the step NAME at once, printing its verdict."""
    def run(fn):
        global STEPS
        STEPS += 1
        try:
            fn()
        except Needs as e:
            FAILED.append(name)
            print(f"FAIL {name}: {e}")
        except AssertionError as e:
            FAILED.append(name)
            print(f"FAIL {name}: {e}")
        except Exception as e:  # hvac raises its exceptions for every refused request
            FAILED.append(name)
            tb = traceback.extract_tb(e.__traceback__)
            line = next((f"line {f.lineno}" for f in reversed(tb) if f.filename == __file__), "")
            print(f"FAIL {name}: {type(e).__name__}: {str(e)[:600]} ({line})")
        else:
            print(f"ok   {name}")
        sys.stdout.flush()
        return fn
    return run


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    return path


def run(*args, input=None):
    p = subprocess.run(args, input=input, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}: {(p.stderr or p.stdout).strip()[:400]}")
    return p.stdout


def data(resp, what):
    """The data of a JSON response (hvac returns a dict on 200, a requests.Response otherwise)."""
    check(isinstance(resp, dict), f"{what}: expected a JSON response, got {resp!r:.300}")
    check(isinstance(resp.get("data"), dict), f"{what}: the response has no data object: {resp!r:.300}")
    return resp["data"]


def ok_status(resp, what):
    """A write that may answer 200 with a body or 204 without one."""
    if isinstance(resp, dict):
        return resp
    code = getattr(resp, "status_code", None)
    check(code in (200, 204), f"{what}: HTTP {code}: {getattr(resp, 'text', resp)!r:.300}")
    return resp


# ---- certificates, as openssl reads them -------------------------------------------------------
def x509(pem_path, *args):
    return run("openssl", "x509", "-in", pem_path, "-noout", *args)


def subject_cn(pem_path):
    out = x509(pem_path, "-subject", "-nameopt", "RFC2253").strip()
    m = re.search(r"CN=([^,]+)", out)
    check(m, f"no CN in the subject: {out}")
    return m.group(1)


def dns_sans(pem_path):
    out = x509(pem_path, "-ext", "subjectAltName")
    return sorted(re.findall(r"DNS:([^,\s]+)", out))


def serial_int(pem_path):
    out = x509(pem_path, "-serial").strip()
    return int(out.split("=", 1)[1], 16)


def vault_serial_int(s):
    return int(s.replace(":", "").replace("-", ""), 16)


def date_of(pem_path, opt):
    out = x509(pem_path, opt).strip()
    return int(run("date", "-u", "-d", out.split("=", 1)[1], "+%s").strip())


def pubkey(cmd_args):
    pem = run(*cmd_args)
    return run("openssl", "pkey", "-pubin", "-outform", "PEM", input=pem)


def verify(ca_path, leaf_path, untrusted=None):
    args = ["openssl", "verify", "-x509_strict", "-CAfile", ca_path]
    if untrusted:
        args += ["-untrusted", untrusted]
    out = run(*args, leaf_path)
    check(out.strip().endswith(": OK"), f"openssl verify: {out.strip()}")


def is_ca(pem_path):
    return "CA:TRUE" in x509(pem_path, "-ext", "basicConstraints")


def crl_text(crl_pem_path):
    return run("openssl", "crl", "-in", crl_pem_path, "-noout", "-text")


def crl_serials(crl_pem_path):
    return {int(s, 16) for s in re.findall(r"Serial Number: ([0-9A-Fa-f]+)", crl_text(crl_pem_path))}


def crl_number(crl_pem_path):
    out = run("openssl", "crl", "-in", crl_pem_path, "-noout", "-crlnumber").strip()
    return int(out.split("=", 1)[1], 16)


def crl_dates(crl_pem_path):
    out = run("openssl", "crl", "-in", crl_pem_path, "-noout", "-lastupdate", "-nextupdate")
    d = dict(line.split("=", 1) for line in out.strip().splitlines())
    return tuple(int(run("date", "-u", "-d", d[k], "+%s").strip()) for k in ("lastUpdate", "nextUpdate"))


def crl_verifies(crl_pem_path, ca_path):
    p = subprocess.run(["openssl", "crl", "-in", crl_pem_path, "-noout", "-CAfile", ca_path],
                       capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    check(p.returncode == 0 and "verify OK" in out, f"openssl crl -CAfile: exit {p.returncode}: {out[:300]}")


def pem_blocks(text):
    return re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)


def make_csr(cn, san):
    """An RSA 2048 CSR (the role's default key type) for CN with the DNS SAN san, made with python
    cryptography, else openssl."""
    try:
        from cryptography import x509 as cx509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        csr = (cx509.CertificateSigningRequestBuilder()
               .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .add_extension(cx509.SubjectAlternativeName([cx509.DNSName(cn), cx509.DNSName(san)]), critical=False)
               .sign(key, hashes.SHA256()))
        return csr.public_bytes(serialization.Encoding.PEM).decode(), "cryptography"
    except ImportError:
        key = os.path.join(TMP, "csr-key.pem")
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key)
        return run("openssl", "req", "-new", "-key", key, "-subj", f"/CN={cn}",
                   "-addext", f"subjectAltName=DNS:{cn},DNS:{san}"), "openssl"


def expect_refused(exc_types, fn, what):
    try:
        r = fn()
    except exc_types as e:
        return e
    raise AssertionError(f"{what}: expected {[t.__name__ for t in exc_types]}, got a success: {r!r:.300}")


URLS = {
    "issuing_certificates": f"{ADDR}/v1/pki/ca",
    "crl_distribution_points": f"{ADDR}/v1/pki/crl",
}

try:
    from importlib.metadata import version
    HVAC_VERSION = version("hvac")
except Exception:
    HVAC_VERSION = "?"
print(f"hvac {HVAC_VERSION} from {os.path.dirname(hvac.__file__)}")
client = hvac.Client(url=ADDR, token=TOKEN)
pki = client.secrets.pki


# ---- authentication ------------------------------------------------------------------------------
@step("is_authenticated")
def _():
    eq(client.is_authenticated(), True, "the root token is authenticated")
    eq(hvac.Client(url=ADDR, token="hvs.not-a-token").is_authenticated(), False, "a made-up token is authenticated")


# ---- setup: enable, tune, root, urls, role -------------------------------------------------------
@step("sys.enable_secrets_engine pki")
def _():
    ok_status(client.sys.enable_secrets_engine("pki", path="pki"), "enable")
    mounts = client.sys.list_mounted_secrets_engines()
    m = mounts.get("data", mounts).get("pki/")
    check(m is not None, f"pki/ is not in sys/mounts: {sorted(mounts.get('data', mounts))}")
    eq(m.get("type"), "pki", "type of the pki/ mount")


@step("sys.tune_mount_configuration max_lease_ttl=87600h")
def _():
    ok_status(client.sys.tune_mount_configuration("pki", max_lease_ttl="87600h"), "tune")
    conf = client.sys.read_mount_configuration("pki")
    conf = conf.get("data", conf)
    eq(conf.get("max_lease_ttl"), 87600 * 3600, "max_lease_ttl read back from sys/mounts/pki/tune")


@step("secrets.pki.generate_root internal example.com ttl=87600h")
def _():
    before = int(time.time())
    d = data(pki.generate_root("internal", "example.com", extra_params={"ttl": "87600h"}), "generate_root")
    ca = write("root.pem", d["certificate"])
    eq(subject_cn(ca), "example.com", "CN of the root")
    check(is_ca(ca), "the root has no basicConstraints CA:TRUE")
    verify(ca, ca)  # self-signed: it verifies against itself
    eq(serial_int(ca), vault_serial_int(d["serial_number"]), "serial_number vs the certificate's serial")
    eq(d.get("issuing_ca", "").strip(), d["certificate"].strip(), "issuing_ca of a root is the root")
    life = date_of(ca, "-enddate") - before
    check(abs(life - 87600 * 3600) <= 60, f"the root lives {life} s from now, not 87600h")
    check("private_key" not in d, "an internal root returned its private key")
    S["root_pem"], S["root"], S["root_serial"] = d["certificate"], ca, d["serial_number"]


@step("secrets.pki.set_urls")
def _():
    ok_status(pki.set_urls(dict(URLS)), "set_urls")


@step("secrets.pki.create_or_update_role web")
def _():
    ok_status(pki.create_or_update_role("web", {"allowed_domains": "example.com", "allow_subdomains": True,
                                               "max_ttl": "72h"}), "create_or_update_role")
    S["role"] = True


@step("secrets.pki.read_role web")
def _():
    need("role")
    d = data(pki.read_role("web"), "read_role")
    eq(d.get("allowed_domains"), ["example.com"], "allowed_domains")
    eq(d.get("allow_subdomains"), True, "allow_subdomains")
    eq(d.get("max_ttl"), 72 * 3600, "max_ttl")
    eq(d.get("key_type"), "rsa", "key_type (Vault's default)")


@step("secrets.pki.list_roles")
def _():
    need("role")
    eq(data(pki.list_roles(), "list_roles").get("keys"), ["web"], "roles listed")


# ---- usage: issue, sign, read, list --------------------------------------------------------------
@step("secrets.pki.generate_certificate web www.example.com")
def _():
    ca = need("root")
    now = int(time.time())
    d = data(pki.generate_certificate("web", "www.example.com", extra_params={"alt_names": "api.example.com"}),
             "generate_certificate")
    leaf = write("leaf.pem", d["certificate"])
    verify(ca, leaf)
    eq(subject_cn(leaf), "www.example.com", "CN of the issued certificate")
    eq(dns_sans(leaf), ["api.example.com", "www.example.com"], "DNS SANs of the issued certificate")
    eq(serial_int(leaf), vault_serial_int(d["serial_number"]), "serial_number vs the certificate's serial")
    eq(d.get("private_key_type"), "rsa", "private_key_type")
    key = write("leaf-key.pem", d["private_key"])
    eq(pubkey(["openssl", "pkey", "-in", key, "-pubout"]), pubkey(["openssl", "x509", "-in", leaf, "-noout", "-pubkey"]),
       "the private key does not match the certificate")
    eq(d.get("issuing_ca", "").strip(), need("root_pem").strip(), "issuing_ca")
    life = date_of(leaf, "-enddate") - now
    check(abs(life - 72 * 3600) <= 60, f"the certificate lives {life} s from now, not the role's max_ttl 72h")
    eq(d.get("expiration"), date_of(leaf, "-enddate"), "expiration vs notAfter")
    text = x509(leaf, "-text")
    check(f"CA Issuers - URI:{URLS['issuing_certificates']}" in text, "the certificate lacks the issuing URL of config/urls")
    check(f"URI:{URLS['crl_distribution_points']}" in text, "the certificate lacks the CRL distribution point of config/urls")
    check(not is_ca(leaf), "the leaf is a CA")
    S["leaf_pem"], S["leaf"], S["leaf_serial"] = d["certificate"], leaf, d["serial_number"]


@step("secrets.pki.generate_certificate refuses www.example.org")
def _():
    need("role")
    e = expect_refused((hvac.exceptions.InvalidRequest,),
                       lambda: pki.generate_certificate("web", "www.example.org"), "a name outside allowed_domains")
    check("www.example.org" in str(e), f"the refusal does not name www.example.org: {e}")


@step("secrets.pki.sign_certificate web api.example.com")
def _():
    ca = need("root")
    # As in Vault, the role's use_csr_sans (default true) takes the SANs from the CSR, not alt_names.
    csr, how = make_csr("api.example.com", "v2.example.com")
    csr_path = write("api.csr", csr)
    d = data(pki.sign_certificate("web", csr, "api.example.com"), "sign_certificate")
    cert = write("signed.pem", d["certificate"])
    verify(ca, cert)
    eq(subject_cn(cert), "api.example.com", "CN of the signed certificate")
    eq(dns_sans(cert), ["api.example.com", "v2.example.com"], "DNS SANs of the signed certificate")
    eq(pubkey(["openssl", "x509", "-in", cert, "-noout", "-pubkey"]), pubkey(["openssl", "req", "-in", csr_path, "-noout", "-pubkey"]),
       f"the signed certificate does not carry the key of the CSR (made with {how})")
    check("private_key" not in d, "sign returned a private key")
    S["signed_serial"] = d["serial_number"]


@step("secrets.pki.read_certificate")
def _():
    d = data(pki.read_certificate(need("leaf_serial")), "read_certificate")
    eq(d.get("certificate", "").strip(), need("leaf_pem").strip(), "the certificate read back by serial")
    d = data(pki.read_certificate("ca"), "read_certificate ca")
    eq(d.get("certificate", "").strip(), need("root_pem").strip(), "cert/ca")


@step("secrets.pki.list_certificates")
def _():
    keys = data(pki.list_certificates(), "list_certificates").get("keys", [])
    have = {vault_serial_int(k) for k in keys}
    for name in ("root_serial", "leaf_serial", "signed_serial"):
        check(vault_serial_int(need(name)) in have, f"{name} {S[name]} is not listed: {keys}")
    eq(len(keys), 3, "number of certificates listed")


# ---- revocation and the CRL ----------------------------------------------------------------------
@step("secrets.pki.revoke_certificate")
def _():
    d = data(pki.revoke_certificate(need("leaf_serial")), "revoke_certificate")
    t = d.get("revocation_time")
    check(isinstance(t, int) and abs(t - time.time()) < 60, f"revocation_time is not now: {t!r}")
    d = data(pki.read_certificate(S["leaf_serial"]), "read_certificate after revoke")
    eq(d.get("revocation_time"), t, "revocation_time of cert/SERIAL after the revocation")
    S["revoked"] = True


@step("secrets.pki.read_crl has the revoked serial")
def _():
    need("revoked")
    crl = write("crl.pem", pki.read_crl())
    crl_verifies(crl, need("root"))
    serials = crl_serials(crl)
    check(vault_serial_int(S["leaf_serial"]) in serials, f"the revoked serial {S['leaf_serial']} is not in the CRL: {crl_text(crl)[:600]}")
    check(vault_serial_int(need("signed_serial")) not in serials, "the CRL lists a serial nobody revoked")
    S["crl_number"] = crl_number(crl)


@step("secrets.pki.rotate_crl")
def _():
    d = data(pki.rotate_crl(), "rotate_crl")
    eq(d.get("success"), True, "success")
    crl = write("crl2.pem", pki.read_crl())
    crl_verifies(crl, need("root"))
    check(crl_number(crl) > need("crl_number"), f"the CRL number did not grow: {crl_number(crl)} after {S['crl_number']}")
    check(vault_serial_int(need("leaf_serial")) in crl_serials(crl), "the rotated CRL lost the revoked serial")


@step("secrets.pki.tidy")
def _():
    r = ok_status(pki.tidy({"tidy_cert_store": True, "tidy_revoked_certs": True, "safety_buffer": "72h"}), "tidy")
    if isinstance(r, dict) and isinstance(r.get("data"), dict) and "state" in r["data"]:
        check(r["data"]["state"] in ("Running", "Finished"), f"tidy state: {r['data']}")
    # Nothing has expired: tidy must keep every certificate, and the revoked one in the CRL.
    keys = data(pki.list_certificates(), "list_certificates after tidy").get("keys", [])
    eq(len(keys), 3, "certificates left after tidy (none has expired)")
    crl = write("crl3.pem", pki.read_crl())
    check(vault_serial_int(need("leaf_serial")) in crl_serials(crl), "tidy dropped an unexpired revoked serial from the CRL")


# ---- reading the CA and the configuration --------------------------------------------------------
@step("secrets.pki.read_ca_certificate")
def _():
    eq(pki.read_ca_certificate().strip(), need("root_pem").strip(), "ca/pem")


@step("secrets.pki.read_ca_certificate_chain")
def _():
    blocks = pem_blocks(pki.read_ca_certificate_chain())
    eq([b.strip() for b in blocks], [need("root_pem").strip()], "ca_chain of a root mount")


@step("secrets.pki.read_urls")
def _():
    d = data(pki.read_urls(), "read_urls")
    eq(d.get("issuing_certificates"), [URLS["issuing_certificates"]], "issuing_certificates")
    eq(d.get("crl_distribution_points"), [URLS["crl_distribution_points"]], "crl_distribution_points")


@step("secrets.pki.read_crl_configuration")
def _():
    d = data(pki.read_crl_configuration(), "read_crl_configuration")
    eq(d.get("expiry"), "72h", "expiry (Vault's default)")
    eq(d.get("disable"), False, "disable")


@step("secrets.pki.set_crl_configuration expiry=48h")
def _():
    ok_status(pki.set_crl_configuration(expiry="48h"), "set_crl_configuration")
    d = data(pki.read_crl_configuration(), "read_crl_configuration after set")
    eq(d.get("expiry"), "48h", "expiry read back")
    pki.rotate_crl()
    crl = write("crl4.pem", pki.read_crl())
    last, nxt = crl_dates(crl)
    eq(nxt - last, 48 * 3600, "nextUpdate - lastUpdate of the CRL built after expiry=48h")


# ---- an intermediate CA on a second mount --------------------------------------------------------
@step("sys.enable_secrets_engine pki_int + tune 43800h")
def _():
    ok_status(client.sys.enable_secrets_engine("pki", path="pki_int"), "enable pki_int")
    ok_status(client.sys.tune_mount_configuration("pki_int", max_lease_ttl="43800h"), "tune pki_int")
    S["pki_int"] = True


@step("secrets.pki.generate_intermediate internal on pki_int")
def _():
    need("pki_int")
    d = data(pki.generate_intermediate("internal", "example.com Intermediate Authority", mount_point="pki_int"),
             "generate_intermediate")
    csr = write("int.csr", d["csr"])
    run("openssl", "req", "-in", csr, "-noout", "-verify")
    subj = run("openssl", "req", "-in", csr, "-noout", "-subject", "-nameopt", "RFC2253")
    check("CN=example.com Intermediate Authority" in subj, f"subject of the CSR: {subj}")
    check("private_key" not in d, "an internal intermediate returned its private key")
    S["int_csr"] = d["csr"]


@step("secrets.pki.sign_intermediate on pki")
def _():
    ca = need("root")
    now = int(time.time())
    d = data(pki.sign_intermediate(need("int_csr"), "example.com Intermediate Authority",
                                   extra_params={"ttl": "43800h", "format": "pem_bundle"}), "sign_intermediate")
    blocks = pem_blocks(d["certificate"])
    check(len(blocks) >= 1, f"no certificate in the pem_bundle: {d['certificate'][:200]}")
    inter = write("int.pem", blocks[0])
    verify(ca, inter)
    check(is_ca(inter), "the intermediate has no basicConstraints CA:TRUE")
    eq(subject_cn(inter), "example.com Intermediate Authority", "CN of the intermediate")
    eq(pubkey(["openssl", "x509", "-in", inter, "-noout", "-pubkey"]),
       pubkey(["openssl", "req", "-in", write("int2.csr", S["int_csr"]), "-noout", "-pubkey"]), "the intermediate's key vs the CSR's")
    life = date_of(inter, "-enddate") - now
    check(abs(life - 43800 * 3600) <= 60, f"the intermediate lives {life} s from now, not 43800h")
    S["int_bundle"], S["int_pem"], S["int"] = d["certificate"], blocks[0], inter


@step("secrets.pki.set_signed_intermediate on pki_int")
def _():
    ok_status(pki.set_signed_intermediate(need("int_bundle"), mount_point="pki_int"), "set_signed_intermediate")
    eq(pki.read_ca_certificate(mount_point="pki_int").strip(), need("int_pem").strip(), "pki_int/ca/pem")
    chain = [b.strip() for b in pem_blocks(pki.read_ca_certificate_chain(mount_point="pki_int"))]
    check(S["int_pem"].strip() in chain, "pki_int/ca_chain lacks the intermediate")
    S["int_set"] = True


@step("issue from pki_int: verifies through the intermediate")
def _():
    need("int_set")
    ok_status(pki.create_or_update_role("example-dot-com", {"allowed_domains": "example.com", "allow_subdomains": True,
                                                           "max_ttl": "72h"}, mount_point="pki_int"), "role on pki_int")
    d = data(pki.generate_certificate("example-dot-com", "blah.example.com", mount_point="pki_int"), "issue on pki_int")
    leaf = write("int-leaf.pem", d["certificate"])
    verify(need("root"), leaf, untrusted=S["int"])
    eq(subject_cn(leaf), "blah.example.com", "CN")
    eq(dns_sans(leaf), ["blah.example.com"], "DNS SANs")
    eq(d.get("issuing_ca", "").strip(), S["int_pem"].strip(), "issuing_ca is the intermediate")
    check(S["int_pem"].strip() in [c.strip() for c in d.get("ca_chain", [])], f"ca_chain lacks the intermediate: {d.get('ca_chain')!r:.200}")


@step("secrets.pki.delete_role web")
def _():
    need("role")
    ok_status(pki.delete_role("web"), "delete_role")
    expect_refused((hvac.exceptions.InvalidPath,), lambda: pki.read_role("web"), "read_role of the deleted role")
    # Vault answers a LIST with nothing under it 404 with no errors, which hvac raises as InvalidPath.
    try:
        keys = data(pki.list_roles(), "list_roles").get("keys")
        eq(keys, [], "roles left after the delete")
    except hvac.exceptions.InvalidPath:
        pass
    expect_refused((hvac.exceptions.InvalidPath,), lambda: pki.generate_certificate("web", "www.example.com"),
                   "issue from the deleted role")


# ---- tokens --------------------------------------------------------------------------------------
@step("auth.token.create ttl=1h")
def _():
    r = client.auth.token.create(ttl="1h")
    auth = r.get("auth") or {}
    check(auth.get("client_token"), f"no client_token: {r!r:.300}")
    eq(auth.get("lease_duration"), 3600, "lease_duration")
    eq(auth.get("renewable"), True, "renewable")
    S["child_token"] = auth["client_token"]


if "child_token" not in S:
    # token.create failed (reported above): to go on with the child's own steps, make the child
    # with only ttl, by a raw POST. This does not turn the failed step into a pass.
    try:
        S["child_token"] = client.adapter.post("/v1/auth/token/create", json={"ttl": "1h"})["auth"]["client_token"]
        print("note: the child token for the steps below was made by a raw POST of {ttl: 1h}")
    except Exception as e:
        print(f"note: a raw POST of {{ttl: 1h}} to auth/token/create failed too: {e}")


@step("child: is_authenticated + auth.token.lookup_self")
def _():
    child = hvac.Client(url=ADDR, token=need("child_token"))
    eq(child.is_authenticated(), True, "the child token is authenticated")
    d = data(child.auth.token.lookup_self(), "lookup_self")
    eq(d.get("id"), S["child_token"], "id")
    check(3500 <= d.get("ttl", 0) <= 3600, f"ttl of a 1h token: {d.get('ttl')!r}")
    eq(d.get("renewable"), True, "renewable")
    S["child"] = child


@step("child: auth.token.renew_self")
def _():
    r = need("child").auth.token.renew_self()
    auth = r.get("auth") or {}
    eq(auth.get("client_token"), S["child_token"], "client_token of the renewal")
    check(3500 <= auth.get("lease_duration", 0) <= 3600, f"lease_duration after renew: {auth.get('lease_duration')!r}")


@step("child: auth.token.revoke_self")
def _():
    child = need("child")
    ok_status(child.auth.token.revoke_self(), "revoke_self")
    eq(child.is_authenticated(), False, "the revoked token is still authenticated")
    expect_refused((hvac.exceptions.Forbidden,), lambda: child.secrets.pki.list_certificates(), "a request with the revoked token")
    eq(client.is_authenticated(), True, "the parent (root) token after the child revoked itself")


# ---- policies and AppRole: a machine logs in and issues from its one role ---------------------------

AGENT_POLICY = """
# the agent may issue from its role on pki_int, and nothing else there
path "pki_int/issue/agent" {
  capabilities = ["update"]
}
path "pki_int/*" {
  capabilities = ["deny"]
}
"""


@step("sys.create_or_update_policy agent + read_policy + list_policies")
def _():
    ok_status(client.sys.create_or_update_policy("agent", AGENT_POLICY), "create_or_update_policy")
    d = data(client.sys.read_policy("agent"), "read_policy")
    eq(d.get("rules"), AGENT_POLICY, "the policy text reads back as written")
    names = data(client.sys.list_policies(), "list_policies").get("policies")
    eq(names, ["agent", "default", "root"], "policies")
    S["policy"] = True


@step("sys.enable_auth_method approle + list_auth_methods")
def _():
    ok_status(client.sys.enable_auth_method("approle"), "enable_auth_method")
    methods = data(client.sys.list_auth_methods(), "list_auth_methods")
    eq(sorted(methods), ["approle/", "token/"], "auth methods")
    eq(methods["approle/"]["type"], "approle", "type of approle/")
    S["approle"] = True


@step("auth.approle.create_or_update_approle + read_role_id + generate_secret_id")
def _():
    need("approle")
    need("int_set")
    ok_status(pki.create_or_update_role("agent", {"allowed_domains": "example.com", "allow_subdomains": True, "max_ttl": "24h"},
                                        mount_point="pki_int"), "pki role agent")
    ok_status(client.auth.approle.create_or_update_approle("agent", token_policies=["agent"], token_ttl="20m", token_max_ttl="1h",
                                                           secret_id_num_uses=2, secret_id_ttl="10m"), "create_or_update_approle")
    role = data(client.auth.approle.read_role("agent"), "read_role")
    eq(role.get("token_policies"), ["agent"], "token_policies")
    eq(role.get("token_ttl"), 1200, "token_ttl in seconds")
    eq(role.get("secret_id_num_uses"), 2, "secret_id_num_uses")
    role_id = data(client.auth.approle.read_role_id("agent"), "read_role_id")["role_id"]
    check(re.fullmatch(r"[0-9a-f-]{36}", role_id), f"role_id is a UUID: {role_id!r}")
    sec = data(client.auth.approle.generate_secret_id("agent", metadata={"host": "web1"}), "generate_secret_id")
    eq(sec.get("secret_id_num_uses"), 2, "secret_id_num_uses of the secret ID")
    eq(sec.get("secret_id_ttl"), 600, "secret_id_ttl of the secret ID")
    accessors = data(client.auth.approle.list_secret_id_accessors("agent"), "list_secret_id_accessors")["keys"]
    eq(accessors, [sec["secret_id_accessor"]], "the secret ID's accessor is listed")
    S["role_id"], S["secret_id"] = role_id, sec["secret_id"]


@step("auth.approle.login: a token with the role's policies issues, and may do nothing else")
def _():
    machine = hvac.Client(url=ADDR)
    resp = machine.auth.approle.login(need("role_id"), need("secret_id"))
    auth = resp.get("auth") or {}
    eq(auth.get("policies"), ["agent", "default"], "policies of the login token")
    eq(auth.get("metadata"), {"role_name": "agent", "host": "web1"}, "metadata of the login token")
    check(1190 <= auth.get("lease_duration", 0) <= 1200, f"lease_duration is token_ttl: {auth.get('lease_duration')!r}")
    eq(machine.is_authenticated(), True, "the login token is authenticated")
    d = data(machine.secrets.pki.generate_certificate("agent", "web1.example.com", mount_point="pki_int"), "issue with the login token")
    leaf = write("agent-leaf.pem", d["certificate"])
    verify(need("root"), leaf, untrusted=S["int"])
    eq(subject_cn(leaf), "web1.example.com", "CN")
    expect_refused((hvac.exceptions.Forbidden,), lambda: machine.secrets.pki.read_role("agent", mount_point="pki_int"),
                   "the login token reads the role")
    expect_refused((hvac.exceptions.Forbidden,), lambda: machine.secrets.pki.generate_root("internal", "evil", mount_point="pki"),
                   "the login token generates a root")
    expect_refused((hvac.exceptions.Forbidden,), lambda: machine.sys.list_mounted_secrets_engines(), "the login token reads sys/mounts")
    r = machine.auth.token.renew_self()
    check(1190 <= (r.get("auth") or {}).get("lease_duration", 0) <= 1200, f"renew_self: {r.get('auth')!r:.200}")
    S["machine"] = machine


@step("auth.approle.login: the secret ID's second use is its last; a wrong one is refused")
def _():
    machine = hvac.Client(url=ADDR)
    machine.auth.approle.login(need("role_id"), need("secret_id"))
    eq(machine.is_authenticated(), True, "the second login")
    expect_refused((hvac.exceptions.InvalidRequest,), lambda: hvac.Client(url=ADDR).auth.approle.login(S["role_id"], S["secret_id"]),
                   "a third login with a two-use secret ID")
    expect_refused((hvac.exceptions.InvalidRequest,),
                   lambda: hvac.Client(url=ADDR).auth.approle.login(S["role_id"], "00000000-0000-0000-0000-000000000000"),
                   "a login with a wrong secret ID")
    # The used-up secret ID is gone: a LIST with nothing under it is Vault's 404, hvac's InvalidPath.
    expect_refused((hvac.exceptions.InvalidPath,), lambda: client.auth.approle.list_secret_id_accessors("agent"),
                   "listing the secret IDs once the only one is used up")


print(f"steps: {STEPS}, failed: {len(FAILED)}")
if FAILED:
    print("failed steps: " + "; ".join(FAILED))
    sys.exit(1)
