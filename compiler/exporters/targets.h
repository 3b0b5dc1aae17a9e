// The exporters' classes, one per target; each is defined in the file of its name.
#pragma once
#include "exporters/exporter.h"

namespace sbx::exporters {

// vault.cc: a HashiCorp Vault policy (HCL) and token-role parameters per secret.
class VaultExporter final : public Exporter {
 public:
  std::string_view name() const override { return "vault"; }
  std::string_view summary() const override { return "HashiCorp Vault policies and token roles for the secrets"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// aws_iam.cc: an AWS IAM session policy and AssumeRole parameters per secret.
class AwsIamExporter final : public Exporter {
 public:
  std::string_view name() const override { return "aws-iam"; }
  std::string_view summary() const override { return "AWS IAM session policies for the secrets (STS AssumeRole)"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// docker_seccomp.cc: the filter as a Docker / Podman seccomp profile.
class DockerSeccompExporter final : public Exporter {
 public:
  std::string_view name() const override { return "docker-seccomp"; }
  std::string_view summary() const override { return "the seccomp filter as a Docker / Podman profile"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

}  // namespace sbx::exporters
