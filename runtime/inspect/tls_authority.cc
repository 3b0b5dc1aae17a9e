#include "runtime/inspect/tls_authority.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sbx::inspect {

namespace {

constexpr long kValiditySeconds = 7 * 24 * 3600;  // a run's lifetime at most; the CA dies with the run
constexpr long kBackdateSeconds = 3600;           // clients whose clock is a little behind

bool isAddress(const std::string& host) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, host.c_str(), bytes) == 1 || inet_pton(AF_INET6, host.c_str(), bytes) == 1;
}

bool addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key`, named `commonName`, signed by `issuerKey` (issuer: null for the CA).
X509* makeCertificate(EVP_PKEY* key, const std::string& commonName, X509* issuer, EVP_PKEY* issuerKey) {
  X509* cert = X509_new();
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = cert && bn && X509_set_version(cert, 2) == 1 && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds) &&
       X509_gmtime_adj(X509_getm_notAfter(cert), kValiditySeconds) && X509_set_pubkey(cert, key) == 1;
  X509_NAME* name = X509_get_subject_name(cert);
  ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>("sbx-run inspecting proxy"), -1, -1, 0);
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  ok = ok && X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) == 1;
  X509* signer = issuer ? issuer : cert;
  ok = ok && addExtension(cert, signer, NID_subject_key_identifier, "hash");
  ok = ok && addExtension(cert, signer, NID_authority_key_identifier, "keyid:always");
  if (!issuer) {
    ok = ok && addExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
         addExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    std::string san = (isAddress(commonName) ? "IP:" : "DNS:") + commonName;
    ok = ok && addExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE") &&
         addExtension(cert, signer, NID_key_usage, "critical,digitalSignature") &&
         addExtension(cert, signer, NID_ext_key_usage, "serverAuth") &&
         addExtension(cert, signer, NID_subject_alt_name, san.c_str());
  }
  ok = ok && X509_sign(cert, issuerKey, EVP_sha256()) > 0;
  if (!ok) {
    X509_free(cert);
    return nullptr;
  }
  return cert;
}

// ALPN toward the client: http/1.1 or nothing (a client offering only h2 gets no ALPN, and
// speaks HTTP/1.1 or gives up).
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outLength, const unsigned char* in, unsigned inLength,
               void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outLength, kHttp11, sizeof kHttp11, in, inLength) == OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::string tlsError() {
  unsigned long code = ERR_get_error();
  if (!code) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

TlsAuthority::~TlsAuthority() {
  X509_free(caCert_);
  EVP_PKEY_free(caKey_);
  EVP_PKEY_free(leafKey_);
}

bool TlsAuthority::create(std::string& error) {
  caKey_ = EVP_EC_gen("P-256");
  leafKey_ = EVP_EC_gen("P-256");
  if (caKey_ && leafKey_) caCert_ = makeCertificate(caKey_, "sbx-run per-run CA", nullptr, caKey_);
  if (!caCert_) error = "cannot create the per-run CA: " + tlsError();
  return caCert_ != nullptr;
}

std::string TlsAuthority::certificatePem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, caCert_);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string TlsAuthority::writeCertificate(const std::string& dir, std::string& error) const {
  int dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (dirFd < 0 || fstat(dirFd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    error = fmt::format("{}: not a directory of this user with mode 0700", dir);
    if (dirFd >= 0) close(dirFd);
    return "";
  }
  int fd = openat(dirFd, "ca.pem", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  close(dirFd);
  std::string pem = certificatePem();
  bool ok = fd >= 0 && write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  if (!ok) error = fmt::format("{}/ca.pem: {}", dir, std::strerror(errno));
  if (fd >= 0) close(fd);
  return ok ? dir + "/ca.pem" : "";
}

SSL_CTX* TlsAuthority::serverContext(const std::string& host, std::string& error) {
  std::lock_guard lock(mutex_);
  if (auto found = servers_.find(host); found != servers_.end()) return found->second.get();
  X509* leaf = makeCertificate(leafKey_, host, caCert_, caKey_);
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  bool ok = leaf && ctx && SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) == 1 &&
            SSL_CTX_use_certificate(ctx.get(), leaf) == 1 && SSL_CTX_use_PrivateKey(ctx.get(), leafKey_) == 1 &&
            SSL_CTX_add1_chain_cert(ctx.get(), caCert_) == 1;
  X509_free(leaf);
  if (!ok) {
    error = fmt::format("cannot mint a certificate for {}: {}", host, tlsError());
    return nullptr;
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // A record is read with one read(2), not its 5-byte header and then its body: half the reads
  // of a request (bench/inspect_peers.sh). Nothing here polls the descriptor, so bytes OpenSSL
  // holds are never waited for.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_alpn_select_cb(ctx.get(), selectAlpn, nullptr);
  return servers_.emplace(host, std::move(ctx)).first->second.get();
}

bool TlsAuthority::createClientContext(const std::string& extraCaFile, std::string& error) {
  client_.reset(SSL_CTX_new(TLS_client_method()));
  bool ok = client_ && SSL_CTX_set_min_proto_version(client_.get(), TLS1_2_VERSION) == 1 &&
            SSL_CTX_set_default_verify_paths(client_.get()) == 1;
  if (ok && !extraCaFile.empty() && SSL_CTX_load_verify_locations(client_.get(), extraCaFile.c_str(), nullptr) != 1) {
    error = fmt::format("--upstream-ca {}: {}", extraCaFile, tlsError());
    return false;
  }
  if (!ok) {
    error = "cannot create the upstream TLS context: " + tlsError();
    return false;
  }
  SSL_CTX_set_verify(client_.get(), SSL_VERIFY_PEER, nullptr);
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(client_.get(), kHttp11, sizeof kHttp11);
  SSL_CTX_set_options(client_.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_read_ahead(client_.get(), 1);  // as the server side's
  return true;
}

SSL* connectUpstream(SSL_CTX* context, int fd, const std::string& host, std::string& error) {
  SSL* ssl = SSL_new(context);
  bool ok = ssl && SSL_set_fd(ssl, fd) == 1;
  if (ok && isAddress(host)) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  } else if (ok) {
    ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
  }
  if (ok && SSL_connect(ssl) != 1) {
    long verify = SSL_get_verify_result(ssl);
    error = verify != X509_V_OK ? fmt::format("the upstream's certificate for {} is not trusted: {}", host,
                                              X509_verify_cert_error_string(verify))
                                : fmt::format("TLS with the upstream {} failed: {}", host, tlsError());
    SSL_free(ssl);
    return nullptr;
  }
  if (!ok) {
    error = "cannot set up upstream TLS: " + tlsError();
    SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

}  // namespace sbx::inspect
