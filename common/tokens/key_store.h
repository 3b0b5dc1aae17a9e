// The broker's signing key in its state directory (revocations.h says where that is): created on
// first use, 0600, in a 0700 directory; its public half for verifiers. Both are read only from a
// state directory that is the running user's alone (revocations.h), else refused with the reason.
//
//   signing-key.pem      the private key (PKCS#8 PEM), 0600: never enters a sandbox
//   signing-key.pub.pem  the public key (SubjectPublicKeyInfo PEM), for `sbxc token verify`
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace sbx::tokens {

class KeyStore {
 public:
  // Opens `dir`; with `create`, makes the directory and the signing key when they are missing.
  // False, with `error`, when the key cannot be read or made.
  bool open(const std::string& dir, bool create, std::string& error);
  // Verification only: the public key from a PEM file; the revocations (and runs' locks) in
  // `revocationDir`, which must be the running user's alone.
  bool openPublicKey(const std::string& pemFile, const std::string& revocationDir, std::string& error);

  EVP_PKEY* signingKey() const { return private_.get(); }
  EVP_PKEY* verifyingKey() const { return public_.get(); }
  const std::string& keyId() const { return keyId_; }  // SHA-256 of the public key, 16 hex digits

  // Whether run `jti` is on the revocation list of this state directory.
  bool isRevoked(const std::string& jti) const;

 private:
  struct Free {
    void operator()(EVP_PKEY* key) const;
  };
  std::unique_ptr<EVP_PKEY, Free> private_, public_;
  std::string dir_, keyId_;
};

}  // namespace sbx::tokens
