// The exporters' classes, one per target; each is defined in the file of its name.
#pragma once
#include "exporters/exporter.h"

namespace sbx::exporters {

// vault.cc: a HashiCorp Vault policy (HCL) and token-role parameters per secret.
class VaultExporter final : public Exporter {
 public:
  std::string_view name() const override { return "vault"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// aws_iam.cc: an AWS IAM session policy and AssumeRole parameters per secret.
class AwsIamExporter final : public Exporter {
 public:
  std::string_view name() const override { return "aws-iam"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

// docker_seccomp.cc: the filter as a Docker / Podman seccomp profile.
class DockerSeccompExporter final : public Exporter {
 public:
  std::string_view name() const override { return "docker-seccomp"; }
  ExportResult exportTask(const ExportInput& input) const override;
};

}  // namespace sbx::exporters
