#include "cmd/channel/credentials.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"

namespace lb::channel {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

constexpr long kValidDays = 3650;

std::string Pem(int (*write)(BIO*, void*), void* object) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  write(bio.get(), object);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string CertPem(X509* cert) {
  return Pem(
      [](BIO* b, void* c) {
        return PEM_write_bio_X509(b, static_cast<X509*>(c));
      },
      cert);
}

std::string KeyPem(EVP_PKEY* key) {
  return Pem(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr,
                                        nullptr, 0, nullptr, nullptr);
      },
      key);
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Issues a certificate for `key`, signed by `issuer_key` (self-signed when
// `issuer` is null), with the given extensions.
absl::StatusOr<CertPtr> Issue(
    EVP_PKEY* key, const std::string& common_name, X509* issuer,
    EVP_PKEY* issuer_key, absl::Time now,
    const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new(), X509_free);
  if (!cert) return absl::InternalError("X509_new failed");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  time_t t = absl::ToTimeT(now);
  ASN1_TIME_adj(X509_getm_notBefore(cert.get()), t, 0, -3600);
  ASN1_TIME_adj(X509_getm_notAfter(cert.get()), t, kValidDays, 0);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("metallb"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  for (const auto& [nid, value] : extensions) {
    if (!AddExtension(cert.get(), signer, nid, value)) {
      return absl::InternalError(
          absl::StrCat("adding extension \"", value, "\" failed"));
    }
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return absl::InternalError("signing the certificate failed");
  }
  return cert;
}

std::string AltNames(const std::vector<std::string>& names) {
  std::vector<std::string> parts;
  for (const std::string& n : names) {
    unsigned char buf[16];
    bool ip = inet_pton(AF_INET, n.c_str(), buf) == 1 ||
              inet_pton(AF_INET6, n.c_str(), buf) == 1;
    parts.push_back(absl::StrCat(ip ? "IP:" : "DNS:", n));
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace

absl::StatusOr<ChannelPki> GenerateChannelPki(
    absl::Time now, const std::vector<std::string>& server_names) {
  if (server_names.empty()) {
    return absl::InvalidArgumentError(
        "the server certificate needs at least one name");
  }
  KeyPtr ca_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  KeyPtr server_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  KeyPtr client_key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!ca_key || !server_key || !client_key) {
    return absl::InternalError("generating EC P-256 keys failed");
  }
  LB_ASSIGN_OR_RETURN(
      CertPtr ca,
      Annotate(
          Issue(ca_key.get(), "metallb channel CA", nullptr, ca_key.get(), now,
                {{NID_basic_constraints, "critical,CA:TRUE"},
                 {NID_key_usage, "critical,keyCertSign,cRLSign"},
                 {NID_subject_key_identifier, "hash"}}),
          "the channel CA"));
  LB_ASSIGN_OR_RETURN(
      CertPtr server,
      Annotate(
          Issue(server_key.get(), "controller", ca.get(), ca_key.get(), now,
                {{NID_basic_constraints, "critical,CA:FALSE"},
                 {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                 {NID_ext_key_usage, "serverAuth"},
                 {NID_subject_alt_name, AltNames(server_names)}}),
          "the controller's certificate"));
  LB_ASSIGN_OR_RETURN(
      CertPtr client,
      Annotate(
          Issue(client_key.get(), "speaker", ca.get(), ca_key.get(), now,
                {{NID_basic_constraints, "critical,CA:FALSE"},
                 {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                 {NID_ext_key_usage, "clientAuth"}}),
          "the speakers' certificate"));
  ChannelPki pki;
  pki.ca_cert = CertPem(ca.get());
  pki.ca_key = KeyPem(ca_key.get());
  pki.server_cert = CertPem(server.get());
  pki.server_key = KeyPem(server_key.get());
  pki.client_cert = CertPem(client.get());
  pki.client_key = KeyPem(client_key.get());
  return pki;
}

std::map<std::string, std::string> ToSecretData(const ChannelPki& pki) {
  return {{"ca.crt", pki.ca_cert},         {"ca.key", pki.ca_key},
          {"server.crt", pki.server_cert}, {"server.key", pki.server_key},
          {"client.crt", pki.client_cert}, {"client.key", pki.client_key}};
}

absl::StatusOr<ChannelPki> FromSecretData(
    const std::map<std::string, std::string>& data) {
  ChannelPki pki;
  for (auto [key, field] :
       std::initializer_list<std::pair<const char*, std::string*>>{
           {"ca.crt", &pki.ca_cert},
           {"ca.key", &pki.ca_key},
           {"server.crt", &pki.server_cert},
           {"server.key", &pki.server_key},
           {"client.crt", &pki.client_cert},
           {"client.key", &pki.client_key}}) {
    auto it = data.find(key);
    if (it == data.end() || it->second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the Secret has no \"", key, "\""));
    }
    *field = it->second;
  }
  return pki;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const ChannelPki& pki) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pki.ca_cert;
  options.pem_key_cert_pairs.push_back({pki.server_key, pki.server_cert});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(
    const ChannelPki& pki) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pki.ca_cert;
  options.pem_private_key = pki.client_key;
  options.pem_cert_chain = pki.client_cert;
  return grpc::SslCredentials(options);
}

}  // namespace lb::channel
