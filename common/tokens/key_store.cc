#include "tokens/key_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "tokens/revocations.h"
#include "util/read_file.h"
#include "util/sha256.h"

namespace sbx::tokens {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrivate = "signing-key.pem";
constexpr const char* kPublic = "signing-key.pub.pem";

// Writes `text` to `path` only if nothing is there yet, atomically: a temporary file linked into
// place, so two launchers starting at once agree on one key.
bool createOnce(const fs::path& path, const std::string& text, mode_t mode, std::string& error) {
  std::string temp = fmt::format("{}.{}.tmp", path.string(), getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (ok && link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) ok = false;
  if (!ok) error = fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
  ::unlink(temp.c_str());
  return ok;
}

std::string pem(EVP_PKEY* key, bool isPrivate) {
  BIO* bio = BIO_new(BIO_s_mem());
  bool ok = isPrivate ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                      : PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long size = ok ? BIO_get_mem_data(bio, &data) : 0;
  std::string text(data ? data : "", static_cast<std::size_t>(size));
  BIO_free(bio);
  return text;
}

EVP_PKEY* readKey(const std::string& text, bool isPrivate) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  EVP_PKEY* key = isPrivate ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                            : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

std::string keyIdOf(EVP_PKEY* key) {
  unsigned char raw[32];
  std::size_t size = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1) return "";
  return sha256Hex({reinterpret_cast<const char*>(raw), size}).substr(0, 16);
}

}  // namespace

void KeyStore::Free::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

bool KeyStore::open(const std::string& dir, bool create, std::string& error) {
  dir_ = dir;
  // A key or revocation list that another user could plant or swap would be theirs to forge with.
  if (!checkStateDir(dir, create, error)) return false;
  fs::path privatePath = fs::path(dir) / kPrivate, publicPath = fs::path(dir) / kPublic;
  if (create && !fs::exists(privatePath)) {
    EVP_PKEY* fresh = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!fresh) {
      error = "cannot generate an Ed25519 signing key";
      return false;
    }
    bool ok = createOnce(privatePath, pem(fresh, true), 0600, error);
    EVP_PKEY_free(fresh);
    if (!ok) return false;
  }
  struct stat st {};
  if (::lstat(privatePath.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error =
        fmt::format("{}: no signing key (sbx-run creates it on the first task with a secret)", privatePath.string());
    return false;
  }
  if (st.st_uid != geteuid()) {
    error =
        fmt::format("{}: the signing key belongs to uid {}, not to the running user", privatePath.string(), st.st_uid);
    return false;
  }
  if (st.st_mode & 077) {
    error = fmt::format("{}: the signing key is readable by others; `chmod 600` it", privatePath.string());
    return false;
  }
  private_.reset(readKey(readWholeFile(privatePath).value_or(""), true));
  if (!private_ || EVP_PKEY_get_base_id(private_.get()) != EVP_PKEY_ED25519) {
    error = fmt::format("{}: not an Ed25519 private key", privatePath.string());
    return false;
  }
  keyId_ = keyIdOf(private_.get());
  std::string publicPem = pem(private_.get(), false);
  if (!fs::exists(publicPath) && !createOnce(publicPath, publicPem, 0644, error)) return false;
  public_.reset(readKey(publicPem, false));
  return true;
}

bool KeyStore::openPublicKey(const std::string& pemFile, const std::string& revocationDir, std::string& error) {
  dir_ = revocationDir;
  if (!checkStateDir(revocationDir, false, error)) return false;
  public_.reset(readKey(readWholeFile(pemFile).value_or(""), false));
  if (!public_ || EVP_PKEY_get_base_id(public_.get()) != EVP_PKEY_ED25519) {
    error = fmt::format("{}: not an Ed25519 public key (PEM)", pemFile);
    return false;
  }
  keyId_ = keyIdOf(public_.get());
  return true;
}

bool KeyStore::isRevoked(const std::string& jti) const {
  return tokens::isRevoked(dir_, jti);
}

}  // namespace sbx::tokens
