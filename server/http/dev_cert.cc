#include "http/dev_cert.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace vault::http {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};

bool WritePem(const std::string& path, mode_t mode, bool is_key, EVP_PKEY* key, X509* cert) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  ::fchmod(fd, mode);
  FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return false;
  }
  bool ok = is_key ? PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1
                   : PEM_write_X509(f, cert) == 1;
  ok = (std::fclose(f) == 0) && ok;
  return ok;
}

}  // namespace

Status EnsureDevCertificate(const std::string& cert_path, const std::string& key_path) {
  if (::access(cert_path.c_str(), F_OK) == 0 && ::access(key_path.c_str(), F_OK) == 0) {
    return Status::Ok();
  }
  for (const std::string& p : {cert_path, key_path}) {
    auto dir = std::filesystem::path(p).parent_path();
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      ::chmod(dir.c_str(), 0700);
    }
  }
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Free> cert(X509_new());
  if (!key || !cert) return Internal("cannot generate a development key");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  std::FILE* urandom = std::fopen("/dev/urandom", "rb");
  if (urandom == nullptr || std::fread(serial, 1, sizeof(serial), urandom) != sizeof(serial)) {
    if (urandom) std::fclose(urandom);
    return Internal("cannot read /dev/urandom");
  }
  std::fclose(urandom);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 397L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Contact Vault development"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"},
        std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_ext_key_usage, "serverAuth"}}) {
    std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return Internal("cannot build the development certificate");
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Internal("cannot sign the development certificate");
  }
  if (!WritePem(key_path, 0600, true, key.get(), nullptr) ||
      !WritePem(cert_path, 0644, false, nullptr, cert.get())) {
    return Unavailable("cannot write the development certificate to " + cert_path);
  }
  return Status::Ok();
}

}  // namespace vault::http
