#include "lib/k8s/testing/internal/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace lb::k8s::testing::internal {
namespace {

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

bool AddExt(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// The subjectAltName value: the loopback names plus `host`.
std::string AltNames(const std::string& host) {
  std::string names = "IP:127.0.0.1,IP:::1,DNS:localhost";
  if (host.empty() || host == "127.0.0.1" || host == "::1" ||
      host == "localhost" || host == "0.0.0.0" || host == "::") {
    return names;
  }
  unsigned char buf[16];
  bool ip = inet_pton(AF_INET, host.c_str(), buf) == 1 ||
            inet_pton(AF_INET6, host.c_str(), buf) == 1;
  return absl::StrCat(names, ip ? ",IP:" : ",DNS:", host);
}

}  // namespace

absl::StatusOr<SelfSignedCert> MakeSelfSignedCert(absl::Time now,
                                                  const std::string& host) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"),
                                                          EVP_PKEY_free);
  if (key == nullptr) return absl::InternalError("EC key generation failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (cert == nullptr) return absl::InternalError("X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()),
                   static_cast<long>(absl::ToUnixSeconds(now) & 0x7fffffff));
  time_t t = absl::ToTimeT(now);
  ASN1_TIME_adj(X509_getm_notBefore(cert.get()), t, 0, -3600);
  ASN1_TIME_adj(X509_getm_notAfter(cert.get()), t, 365, 0);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("lb-apiserver"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!AddExt(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExt(cert.get(), NID_key_usage,
              "critical,digitalSignature,keyEncipherment,keyCertSign") ||
      !AddExt(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExt(cert.get(), NID_subject_alt_name, AltNames(host).c_str())) {
    return absl::InternalError("adding certificate extensions failed");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return absl::InternalError("signing the certificate failed");
  }
  SelfSignedCert out;
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()),
                                                  BIO_free);
    PEM_write_bio_X509(bio.get(), cert.get());
    out.cert_pem = BioToString(bio.get());
  }
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()),
                                                  BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                             nullptr);
    out.key_pem = BioToString(bio.get());
  }
  if (out.cert_pem.empty() || out.key_pem.empty()) {
    return absl::InternalError("PEM encoding failed");
  }
  return out;
}

}  // namespace lb::k8s::testing::internal
