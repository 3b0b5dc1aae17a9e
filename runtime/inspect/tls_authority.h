// The TLS of sbx-inspect: a per-run certificate authority and the two sides of each intercepted
// connection.
//
// The CA's key (EC P-256) is generated in memory when the inspector starts and never written
// anywhere; only its certificate goes to the launcher's 0700 state directory, from where the
// launcher makes it trusted inside the sandbox. A leaf certificate for each host (SAN: the name,
// or the IP address) is minted on first use and cached for the run.
// Toward the client: TLS 1.2 or later, ALPN offers http/1.1 only (no h2: requests are judged as
// HTTP/1.1). Toward the upstream: TLS 1.2 or later, the certificate verified against the system
// trust store plus `--upstream-ca`, with the host name or IP address checked and SNI sent for a
// name. There is no option that skips verification.
#pragma once
#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sbx::inspect {

class TlsAuthority {
 public:
  // Generates the CA; false with `error` when OpenSSL cannot.
  bool create(std::string& error);
  // Writes the CA certificate (PEM) as `dir`/ca.pem, a new file, and returns its path; empty with
  // `error` otherwise. `dir` must be a directory owned by this user, mode 0700.
  std::string writeCertificate(const std::string& dir, std::string& error) const;
  // The CA certificate, PEM.
  std::string certificatePem() const;
  // A server context for clients asking for `host` (cached); null with `error`.
  SSL_CTX* serverContext(const std::string& host, std::string& error);
  // The context for upstream connections: system store plus `extraCaFile` (may be empty).
  bool createClientContext(const std::string& extraCaFile, std::string& error);
  SSL_CTX* clientContext() const { return client_.get(); }
  ~TlsAuthority();

 private:
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  EVP_PKEY* caKey_ = nullptr;
  EVP_PKEY* leafKey_ = nullptr;  // one key for every leaf of the run: minting stays cheap
  X509* caCert_ = nullptr;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<SSL_CTX, CtxFree>> servers_;
  std::unique_ptr<SSL_CTX, CtxFree> client_;
};

// An upstream TLS session on connected socket `fd` to `host` (a name or an address literal):
// SNI for a name, verification of the certificate's name or address. Null with `error`.
SSL* connectUpstream(SSL_CTX* context, int fd, const std::string& host, std::string& error);

// OpenSSL's last error as text.
std::string tlsError();

}  // namespace sbx::inspect
